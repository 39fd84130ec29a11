"""Running instances: start, deliver a message, let timers fire; who may work on a task.

Completing a task is ``completion``. Each step runs the engine, then ``projections`` brings
task rows, timers and the stored state in line with the workflow. Every public function runs
inside the caller's write transaction and appends its audit event there, so a change and its
record commit together or not at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app import clock
from app.engine import EngineError, TimerState
from app.engine import messages as engine_messages
from app.errors import Conflict, InvalidInput, NotFound
from app.models import ProcessDefinition, ProcessInstance, TaskRecord
from app.models.states import InstanceStatus
from app.services.actor import Actor
from app.services.execution import holidays, incidents, projections, row_writes, task_forms
from app.services.execution.workflows import (
    ENGINE,
    LEAN,
    StepResult,
    pinned_definition,
    remember,
    restore,
)
from app.services.identity.permissions import Action, may
from app.services.records import archive_store, audit


def start(
    session: Session,
    actor: Actor,
    definition: ProcessDefinition,
    data: dict[str, Any],
    case_id: int | None = None,
    unit_id: int | None = None,
    depth: int = 0,
) -> ProcessInstance:
    """Start an instance; ``unit_id`` is the unit it is handled for (承办单位), for filtering.
    ``depth``: how many sends led to this start (a process a message starts)."""
    now = clock.now()
    with holidays.in_scope(session):
        failed: EngineError | None = None
        try:
            workflow = ENGINE.start(definition.spec_json, data)
        except EngineError as exc:  # started all the same: it stops at the failure
            if exc.workflow is None:
                raise InvalidInput(f"流程无法启动：{exc.message}") from exc
            workflow, failed = exc.workflow, exc
        instance = ProcessInstance(
            definition_id=definition.id,
            process_id=definition.process_id,
            case_id=case_id,
            unit_id=unit_id if unit_id is not None else actor.unit_id,
            status=InstanceStatus.RUNNING,
            state=ENGINE.dump(workflow),
            started_at=now,
            started_by=actor.username,
            summary=summarize(data),
        )
        row_writes.insert_row(session, instance)
        audit.covers(session, instance)
        audit.record(
            session, actor, "instance.start", instance_id=instance.id, case_id=case_id,
            process_id=definition.process_id, version=definition.version,
        )  # fmt: skip
        # a new instance has no open tasks yet
        result = projections.sync(session, instance, workflow, others_open=False)
        result.signals = engine_messages.thrown_signals(workflow)
        result.messages = engine_messages.thrown_messages(workflow)
        session.flush()
        remember(session, instance, workflow)
        if failed is not None:
            incidents.open_for(session, instance, failed, actor, store=False)
        forward_thrown(session, instance, result, depth)
    return instance


# process data that says what an instance is about, in this order (shown in inboxes and lists)
SUMMARY_FIELDS = (
    ("court_case_no", ""), ("plaintiff", ""), ("unit_name", ""), ("period", ""),
    ("loss_rate", "败诉率 "), ("origin_ref", ""),
)  # fmt: skip


def summarize(data: dict[str, Any]) -> str:
    parts = [f"{label}{data[key]}" for key, label in SUMMARY_FIELDS if data.get(key)]
    return " · ".join(str(p) for p in parts)[:300]


def can_work_on(actor: Actor, task: TaskRecord) -> bool:
    """The actor may do the task, in their own right or for someone they substitute for."""
    return _may(actor, task) or any(_may(absent, task) for absent in actor.acting_for)


def working_for(actor: Actor, task: TaskRecord) -> str:
    """How the history names who did it: "李四（代 张三）" for a substitute."""
    if _may(actor, task):
        return actor.username
    absent = next(a for a in actor.acting_for if _may(a, task))
    return f"{actor.username}（代 {absent.username}）"


def _may(actor: Actor, task: TaskRecord) -> bool:
    if not may(actor.role, Action.WORK):
        return False
    if task.assignee_id is not None and task.assignee_id != actor.user_id:
        return False
    return actor.unit_id == task.unit_id and (task.role is None or task.role == actor.role)


MAY_VIEW_ANY_TASK = {"auditor", "center", "bureau", "bureau_head", "leader", "admin"}


def open_task_for(session: Session, actor: Actor, task_id: int) -> TaskRecord:
    task = session.get(TaskRecord, task_id)
    if task is None:
        raise archive_store.not_found(session, "tasks", task_id, "任务不存在或无权查看")
    if not (can_work_on(actor, task) or actor.role in MAY_VIEW_ANY_TASK):
        raise NotFound("任务不存在或无权查看")
    return task


def task_schema(
    session: Session, task: TaskRecord, instance: ProcessInstance | None = None
) -> dict[str, Any]:
    """The task's form as pinned by its instance's definition version, options resolved."""
    if not task.form:  # a manual or plain task: confirmed (a user task always has a form)
        return confirm_schema(task)
    instance = instance or session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    schema = pinned_definition(session, instance).forms.get(task.form or "")
    if schema is None:
        raise InvalidInput("任务表单缺失")
    return task_forms.prepare(session, schema)


def confirm_schema(task: TaskRecord) -> dict[str, Any]:
    """The form of a confirm step: nothing to fill in, its instructions above a 确认 button."""
    return {"type": "object", "title": task.name, "properties": {}, "additionalProperties": False}


def deliver_message(
    session: Session,
    instance: ProcessInstance,
    name: str,
    payload: dict[str, Any],
    correlation: dict[str, Any] | None = None,
    depth: int = 0,
) -> bool:
    """Deliver a message to one running instance; False when it does not wait for it (or,
    given a ``correlation``, when the waiting task's data does not hold every value of it).
    ``depth``: how many sends led to this one (an instance that answers a message it got)."""
    instance = lock_instance(session, instance.id) or instance
    if instance.status != InstanceStatus.RUNNING:
        return False
    with holidays.in_scope(session):
        workflow = restore(session, instance)
        if correlation is not None and not engine_messages.take_payload(
            workflow, name, correlation, payload
        ):
            return False
        # the correlation values are part of the message (a catching event may read them)
        sent = {**(correlation or {}), **payload}
        failed: EngineError | None = None
        try:
            delivered = ENGINE.deliver(workflow, name, sent, correlated=correlation is not None)
        except EngineError as exc:  # delivered: what it set off stopped at a failure
            delivered, failed = True, exc
        if not delivered:
            return False
        audit.record(
            session, "system", "message.delivered", instance_id=instance.id,
            case_id=instance.case_id, message=name,
        )  # fmt: skip
        # what it sent before a failure was sent all the same
        result = projections.save(session, instance, workflow)
        forward_thrown(session, instance, result, depth)
        if failed is not None:
            incidents.open_for(session, instance, failed, store=False)
    return True


MAX_SIGNAL_DEPTH = 5  # a signal that answers a signal that answers a signal …


def forward_thrown(
    session: Session, instance: ProcessInstance, result: StepResult, depth: int = 0
) -> None:
    """What a step of ``instance`` threw and none of its own tasks caught: signals to the
    instances of its version, messages through ``process_messages`` (as if posted)."""
    forward_signals(session, instance, result.signals, depth)
    if result.messages:
        # process_messages delivers through this module: imported when an instance sends
        from app.services.execution import process_messages

        process_messages.forward(session, instance, result.messages, depth)


def forward_signals(
    session: Session,
    instance: ProcessInstance,
    signals: list[tuple[str, dict[str, Any]]],
    depth: int = 0,
) -> None:
    """A signal an instance threw that none of its own tasks caught goes to the other running
    instances of the same deployed version that wait for it (each audited)."""
    if not signals or depth >= MAX_SIGNAL_DEPTH:
        return
    others = session.scalars(
        select(ProcessInstance.id)
        .where(
            ProcessInstance.definition_id == instance.definition_id,
            ProcessInstance.status == InstanceStatus.RUNNING,
            ProcessInstance.id != instance.id,
        )
        .order_by(ProcessInstance.id)
    ).all()
    for other_id in others:
        other = lock_instance(session, other_id)
        if other is None or other.status != InstanceStatus.RUNNING:
            continue
        workflow = restore(session, other)
        caught = [n for n, p in signals if engine_messages.send_signal(workflow, n, p)]
        if not caught:
            continue
        try:
            ENGINE.advance(workflow)
        except EngineError as exc:
            raise InvalidInput(f"流程执行出错：{exc}") from exc
        audit.record(
            session, "system", "signal.delivered", instance_id=other.id,
            from_instance=instance.id, signals=caught,
        )  # fmt: skip
        result = projections.save(session, other, workflow)
        forward_thrown(session, other, result, depth + 1)


def lock_instance(session: Session, instance_id: int) -> ProcessInstance | None:
    """The instance as its last writer committed it, locked until this transaction ends.

    On PostgreSQL two writers of one instance (a person and a timer pass, two co-defendants'
    reviews) queue on the row instead of one failing on the version check. SQLite admits one
    writer at a time and our write transactions begin IMMEDIATE, so what this transaction read
    is already current: no second query there.
    """
    if not row_locks(session):
        return session.get(ProcessInstance, instance_id, options=LEAN)
    try:
        return session.get(
            ProcessInstance,
            instance_id,
            options=LEAN,  # not the joined definition (with its spec), unit, case
            with_for_update=True,
            populate_existing=True,
        )
    except StaleDataError as exc:  # this transaction read it before another writer committed
        raise Conflict("该流程实例刚被他人更新，请刷新后重试") from exc


def row_locks(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def advance_instance(session: Session, instance_id: int) -> StepResult:
    """Let the engine catch up with the clock (fires due timers of this instance)."""
    instance = lock_instance(session, instance_id)
    if instance is None or instance.status != InstanceStatus.RUNNING:
        return StepResult()
    with holidays.in_scope(session):
        workflow = restore(session, instance)
        failed: EngineError | None = None
        try:
            ENGINE.advance(workflow)
        except EngineError as exc:  # what it sent before the failure was sent all the same
            failed = exc
        result = projections.save(session, instance, workflow)
        forward_thrown(session, instance, result)
        if failed is not None:
            incidents.open_for(session, instance, failed, store=False)
            return StepResult()
        return result


def recompute_timers(
    session: Session, instance_id: int
) -> list[tuple[TimerState, datetime | None]]:
    """Compute the waiting deadlines of an instance again over the current calendar (after a
    holiday schedule is imported or corrected): each keeps its start and its changes. Returns
    the timers whose due time moved, each with its due time before."""
    instance = lock_instance(session, instance_id)
    if instance is None or instance.status != InstanceStatus.RUNNING:
        return []
    with holidays.in_scope(session):
        workflow = restore(session, instance)
        before = {t.spiff_id: t.due_at for t in ENGINE.timers(workflow) if t.state == "waiting"}
        for spiff_id in before:
            ENGINE.recompute_timer(workflow, spiff_id)
        moved = [
            (timer, before[timer.spiff_id])
            for timer in ENGINE.timers(workflow)
            if timer.spiff_id in before and timer.due_at != before[timer.spiff_id]
        ]
        projections.save(session, instance, workflow)
    return moved


def cancel_instance(session: Session, actor: Actor | str, instance_id: int, reason: str) -> bool:
    """Withdraw a running instance (a reversed loss): its open tasks, deadlines and reminders
    end, the record stays. False when it was not running."""
    instance = lock_instance(session, instance_id)
    if instance is None or instance.status != InstanceStatus.RUNNING:
        return False
    with holidays.in_scope(session):
        workflow = restore(session, instance)
        ENGINE.cancel(workflow)
        instance.status, instance.ended_at = InstanceStatus.CANCELLED, clock.now()
        projections.save(session, instance, workflow)
    audit.record(
        session, actor, "instance.cancel", instance_id=instance.id, case_id=instance.case_id,
        reason=reason,
    )  # fmt: skip
    return True


def instance_for(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        message = f"流程实例不存在：{instance_id}"
        raise archive_store.not_found(session, "process_instances", instance_id, message)
    return instance
