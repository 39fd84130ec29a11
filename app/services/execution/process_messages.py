"""BPMN messages by name and correlation (``POST /api/v1/messages`` without a case number).

A message goes to every running instance that waits for it (a message catch event, a receive
task or a message boundary event) and whose process data holds each correlation value
(``{"application_no": "A-1"}`` matches the instance whose ``application_no`` is ``A-1``, as
Camunda's correlation keys match process variables); and it starts the latest version of every
process whose start event is that message, with the correlation and the payload as its start
data. Court events keep their own path (``app.services.court.messages``). A repeated
idempotency key has no second effect; a message nobody waits for is refused, nothing stored.

An instance sends messages too (a send task, a message throw or end event): ``forward``
delivers each the same way, in the sending step's transaction, and records on the sender what
became of it. One that nobody waits for is not an error of the sender's step (the process has
done its part): it is recorded as delivered to nobody, for the process owner to see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.engine import messages as engine_messages
from app.engine.messages import ThrownMessage
from app.errors import InvalidInput
from app.models import ProcessDefinition, ProcessInstance, ProcessMessage
from app.models.states import InstanceStatus
from app.services.actor import Actor
from app.services.execution import instances, processes
from app.services.identity import org
from app.services.identity.permissions import Action, require
from app.services.records import audit
from app.services.uow import unit_of_work

MAX_CORRELATION_KEYS = 10


@dataclass
class Received:
    message: ProcessMessage
    duplicate: bool


def message_json(message: ProcessMessage, duplicate: bool) -> dict[str, Any]:
    return {
        "id": message.id, "name": message.name, "case_id": None,
        "received_at": message.received_at.isoformat(), "correlation": message.correlation,
        "delivered_to": message.delivered_to, "started": message.started,
        "duplicate": duplicate,
    }  # fmt: skip


@unit_of_work
def receive(session: Session, actor: Actor, body: dict[str, Any]) -> Received:
    require(actor.role, Action.SEND_PROCESS_MESSAGE)
    name, key, correlation, payload = _parse(body)
    existing = session.scalar(select(ProcessMessage).where(ProcessMessage.idempotency_key == key))
    if existing is not None:
        if existing.name != name or existing.correlation != correlation:
            raise InvalidInput("幂等键已用于另一条消息", {"idempotency_key": ["已被使用"]})
        return Received(existing, duplicate=True)
    delivered = _deliver(session, name, correlation, payload)
    started = _start(session, actor, name, {**correlation, **payload})
    if not delivered and not started:
        raise InvalidInput(
            f"没有流程实例在等待消息 {name}（关联条件：{_words(correlation)}），"
            "也没有以该消息开始的流程",
            {"name": ["无人接收"]},
        )
    message = ProcessMessage(
        idempotency_key=key, name=name, correlation=correlation, payload=payload,
        received_at=clock.now(), sender=actor.username,
        delivered_to=delivered, started=started,
    )  # fmt: skip
    session.add(message)
    session.flush()
    audit.record(
        session, actor, "message.receive", name=name, idempotency_key=key,
        correlation=correlation, delivered_to=delivered, started=started,
    )  # fmt: skip
    return Received(message, duplicate=False)


MAX_SEND_DEPTH = 5  # a message that answers a message that answers a message …


def forward(
    session: Session, sender: ProcessInstance, messages: list[ThrownMessage], depth: int = 0
) -> None:
    """Deliver the messages ``sender`` threw that none of its own tasks caught, each audited
    on the sender (``message.send``: to which instances, which processes it started)."""
    if depth >= MAX_SEND_DEPTH:
        raise InvalidInput(
            f"流程之间的消息往复传递超过 {MAX_SEND_DEPTH} 层，已停止，未作任何更改："
            f"请检查流程图中收到消息后又发出消息的环节（消息 {messages[0].name}）"
        )
    # a process a message starts is handled for the sender's unit
    starter = Actor("system", "system", unit_id=sender.unit_id)
    for message in messages:
        delivered = _deliver(
            session, message.name, message.correlation, message.payload, sender.id, depth + 1
        )
        data = {**message.correlation, **message.payload}
        started = _start(session, starter, message.name, data, depth + 1)
        audit.record(
            session, "system", "message.send", instance_id=sender.id, case_id=sender.case_id,
            name=message.name, correlation=message.correlation, delivered_to=delivered,
            started=started,
        )  # fmt: skip


def _parse(body: dict[str, Any]) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        errors["name"] = ["须为消息名称（1 到 100 个字符）"]
        name = ""
    key = body.get("idempotency_key")
    if not isinstance(key, str) or not key.strip():
        errors["idempotency_key"] = ["此项为必填项"]
        key = ""
    correlation: dict[str, Any] = {}
    payload: dict[str, Any] = {}
    try:
        correlation = processes.clean_data(body.get("correlation"), "关联条件")
    except InvalidInput as exc:
        errors.update(
            {f"correlation.{k}" if k else "correlation": v for k, v in exc.errors.items()}
        )
    if len(correlation) > MAX_CORRELATION_KEYS:
        errors["correlation"] = [f"关联条件至多 {MAX_CORRELATION_KEYS} 项"]
    try:
        payload = processes.clean_data(body.get("payload"), "消息内容")
    except InvalidInput as exc:
        errors.update({f"payload.{k}" if k else "payload": v for k, v in exc.errors.items()})
    if errors:
        raise InvalidInput("消息格式有误", errors)
    return name.strip(), key.strip(), correlation, payload


# a version's messages by its sha256, which covers everything its spec is made from: a spec is
# ~100 KiB, and every message would otherwise read every deployed version's
_MESSAGE_NAMES: dict[str, tuple[frozenset[str], frozenset[str]]] = {}


def _definitions(session: Session) -> list[tuple[int, str, frozenset[str], frozenset[str]]]:
    """(id, process id, messages it waits for, messages that start it) of every version."""
    rows = session.execute(
        select(ProcessDefinition.id, ProcessDefinition.process_id, ProcessDefinition.sha256)
    ).all()
    found = []
    for definition_id, process_id, sha256 in rows:
        names = _MESSAGE_NAMES.get(sha256)
        if names is None:
            spec = session.scalar(
                select(ProcessDefinition.spec_json).where(ProcessDefinition.id == definition_id)
            )
            names = _MESSAGE_NAMES[sha256] = engine_messages.message_names(spec or "")
        found.append((definition_id, process_id, *names))
    return found


def received_names(session: Session) -> frozenset[str]:
    """The messages some deployed version waits for or starts with."""
    return frozenset(
        name for _, _, caught, starting in _definitions(session) for name in caught | starting
    )


def _deliver(
    session: Session,
    name: str,
    correlation: dict[str, Any],
    payload: dict[str, Any],
    sender_id: int | None = None,
    depth: int = 0,
) -> list[int]:
    waiting = [
        definition_id for definition_id, _, caught, _ in _definitions(session) if name in caught
    ]
    if not waiting:
        return []
    candidates = session.scalars(
        select(ProcessInstance.id)
        .where(
            ProcessInstance.definition_id.in_(waiting),
            ProcessInstance.status == InstanceStatus.RUNNING,
            ProcessInstance.id != (sender_id or 0),  # what it catches itself, it caught
        )
        .order_by(ProcessInstance.id)
    ).all()
    delivered = []
    for instance_id in candidates:
        instance = session.get(ProcessInstance, instance_id)
        if instance is not None and instances.deliver_message(
            session, instance, name, payload, correlation, depth
        ):
            delivered.append(instance_id)
    return delivered


def _start(
    session: Session, actor: Actor, name: str, data: dict[str, Any], depth: int = 0
) -> list[int]:
    """Start the latest version of each process whose start event is this message."""
    latest: dict[str, tuple[int, frozenset[str]]] = {}
    for definition_id, process_id, _, starting in _definitions(session):
        if process_id not in latest or latest[process_id][0] < definition_id:
            latest[process_id] = (definition_id, starting)
    started = []
    for definition_id, starting in sorted(latest.values()):
        if name not in starting:
            continue
        definition = session.get(ProcessDefinition, definition_id)
        assert definition is not None
        start_data = dict(data)
        if actor.unit_id is not None and definition.start_lane:
            unit = org.unit_by_id(session, actor.unit_id)
            start_data["lane_owners"] = {definition.start_lane: unit.code}
        instance = instances.start(session, actor, definition, start_data, depth=depth)
        instances.deliver_message(session, instance, name, data, {}, depth)
        started.append(instance.id)
    return started


def _words(correlation: dict[str, Any]) -> str:
    return "、".join(f"{k} = {v}" for k, v in correlation.items()) or "无"
