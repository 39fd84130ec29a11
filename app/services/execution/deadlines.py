"""Managing a running deadline: 送达 (a recorded service), 中止, 恢复 and 延长.

Each is a change appended to the deadline's clock (``app.clocks``), which is replayed over the
calendar: suspending keeps the working days that were left after the suspension day; resuming
counts them again from the resumption day; extending adds working days to the due date; a
recorded service moves the start of a deadline that counts from a receipt (收到/送达).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.clocks import ENTERED, Clock, Computed, StartEvent
from app.errors import Conflict, Forbidden, InvalidInput
from app.models import Attachment, ProcessInstance, TaskRecord, Timer
from app.models.states import TaskStatus, TimerStatus
from app.services.actor import Actor
from app.services.execution import holidays, instances, projections
from app.services.identity import org
from app.services.identity.permissions import Action, may, require
from app.services.records import archive_store, attachments, audit
from app.services.uow import unit_of_work

MAX_EXTENSION = 60
EVIDENCE_LABEL_MAX = 50


def _timer(
    session: Session, actor: Actor, task_id: int, reason: str, manage: bool = True
) -> tuple[TaskRecord, Timer]:
    if manage:
        require(actor.role, Action.MANAGE_DEADLINE)
    if not reason or not reason.strip():
        raise InvalidInput("请填写理由", {"reason": ["此项为必填项"]})
    task = session.get(TaskRecord, task_id)
    if task is None:
        raise archive_store.not_found(session, "tasks", task_id, "任务不存在")
    # queue behind the instance's other writers (a message, a timer pass firing this very
    # deadline), then read the task and its timer as they left them
    instances.lock_instance(session, task.instance_id)
    session.refresh(task)
    if task.status != TaskStatus.OPEN:
        raise Conflict("任务已办结，期限不能再调整")
    timer = session.scalar(
        select(Timer)
        .where(
            Timer.task_record_id == task.id,
            Timer.purpose == "deadline",
            Timer.status.in_([TimerStatus.WAITING, TimerStatus.SUSPENDED]),
        )
        .order_by(Timer.due_at)
        .limit(1)
    )
    if timer is None:
        raise InvalidInput("该任务没有计时中的期限")
    return task, timer


def _change(
    session: Session, task: TaskRecord, timer: Timer, change: dict[str, Any], check: Any = None
) -> Computed:
    """Append ``change`` to the timer's clock and store the step. ``check(clock)`` may refuse
    the change against the clock as it stands (before it is applied)."""
    instance = session.get(ProcessInstance, task.instance_id)  # locked by _timer
    assert instance is not None
    with holidays.in_scope(session):
        workflow = instances.restore(session, instance)
        if check is not None:
            current = next(
                t for t in instances.ENGINE.timers(workflow) if t.spiff_id == timer.spiff_task_id
            )
            check(current.clock)
        computed = instances.ENGINE.change_timer(workflow, timer.spiff_task_id, change)
        projections.save(session, instance, workflow)
    return computed


def _reason(reason: str) -> str:
    return reason.strip()


@unit_of_work
def suspend(session: Session, actor: Actor, task_id: int, reason: str) -> TaskRecord:
    task, timer = _timer(session, actor, task_id, reason)
    if timer.status == TimerStatus.SUSPENDED:
        raise Conflict("期限已处于中止状态")
    today = clock.local_now().date().isoformat()
    computed = _change(
        session, task, timer, {"kind": "suspend", "on": today, "reason": _reason(reason)}
    )
    remaining = (computed.suspended or {}).get("remaining", 0)
    audit.record(
        session, actor, "deadline.suspend", instance_id=task.instance_id, case_id=task.case_id,
        task_id=task.id, reason=reason, remaining_working_days=remaining,
    )  # fmt: skip
    return task


@unit_of_work
def resume(session: Session, actor: Actor, task_id: int, reason: str) -> TaskRecord:
    task, timer = _timer(session, actor, task_id, reason)
    if timer.status != TimerStatus.SUSPENDED:
        raise Conflict("期限未中止，无需恢复")
    today = clock.local_now().date().isoformat()
    computed = _change(
        session, task, timer, {"kind": "resume", "on": today, "reason": _reason(reason)}
    )
    audit.record(
        session, actor, "deadline.resume", instance_id=task.instance_id, case_id=task.case_id,
        task_id=task.id, reason=reason, due_at=computed.due_at,
    )  # fmt: skip
    return task


@unit_of_work
def extend(session: Session, actor: Actor, task_id: int, days: Any, reason: str) -> TaskRecord:
    task, timer = _timer(session, actor, task_id, reason)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION:
        raise InvalidInput("延长天数有误", {"days": [f"应为 1 至 {MAX_EXTENSION} 的整数"]})
    if timer.status == TimerStatus.SUSPENDED:
        raise Conflict("期限中止期间不能延长，请先恢复")
    today = clock.local_now().date().isoformat()
    change = {"kind": "extend", "days": days, "reason": _reason(reason), "on": today}
    computed = _change(session, task, timer, change)
    audit.record(
        session, actor, "deadline.extend", instance_id=task.instance_id, case_id=task.case_id,
        task_id=task.id, days=days, reason=reason, due_at=computed.due_at,
    )  # fmt: skip
    return task


def receipt_start(session: Session, task: TaskRecord) -> StartEvent | None:
    """The receipt the task's deadline counts from, when a recorded service may move it
    (None: no waiting deadline, or one that counts from another kind of event)."""
    if task.status != TaskStatus.OPEN or task.due_at is None:
        return None
    timer = session.scalar(
        select(Timer).where(
            Timer.task_record_id == task.id, Timer.purpose == "deadline",
            Timer.status == TimerStatus.WAITING,
        ).limit(1)
    )  # fmt: skip
    instance = session.get(ProcessInstance, task.instance_id)
    if timer is None or instance is None:
        return None
    with holidays.in_scope(session):
        workflow = instances.restore(session, instance)
        found = next(
            (t for t in instances.ENGINE.timers(workflow) if t.spiff_id == timer.spiff_task_id),
            None,
        )
    start = found.clock.effective_start if found and found.clock else None
    return start if start is not None and start.receipt else None


def may_record_service(actor: Actor, task: TaskRecord) -> bool:
    """The center and the bureau (not timed by an agency's deadline), or the timed unit itself
    (then, like everyone, only with the evidence): read-only roles never."""
    if not may(actor.role, Action.WORK):
        return False
    return may(actor.role, Action.MANAGE_DEADLINE) or actor.unit_id == task.unit_id


@unit_of_work
def record_service(
    session: Session,
    actor: Actor,
    task_id: int,
    served_on: Any,
    evidence: Any,
    files: list[attachments.Upload] | None = None,
    file_ids: Any = None,
    storage: Path | None = None,
) -> TaskRecord:
    """送达: a paper service of what the task answers (e.g. the 交办通知书 served with its
    送达回证) moves the start of its deadline to the day of service.

    Only for deadlines that count from a receipt; the day may be neither in the future nor
    before the receipt it replaces; the evidence (its name, and at least one file) is required
    and kept; the deadline's explanation says who recorded it.
    """
    errors: dict[str, list[str]] = {}
    task = session.get(TaskRecord, task_id)
    if task is None:
        raise archive_store.not_found(session, "tasks", task_id, "任务不存在")
    if not may_record_service(actor, task):
        raise Forbidden("无权登记该任务的送达情况")
    day = _served_day(served_on, errors)
    label = evidence.strip() if isinstance(evidence, str) else ""
    if not label:
        errors["evidence"] = ["请填写送达凭证名称，例如 送达回证"]
    elif len(label) > EVIDENCE_LABEL_MAX:
        errors["evidence"] = [f"最多 {EVIDENCE_LABEL_MAX} 个字"]
    files = files or []
    given: list[dict[str, Any]] = []
    if files:
        errors.update(attachments.check("files", files))
    elif not file_ids:
        errors["files"] = ["请上传送达凭证（如送达回证的扫描件）"]
    else:
        try:
            given = attachments.resolve(session, actor, file_ids, "files")
        except InvalidInput as exc:
            errors.update(exc.errors)
    if errors:
        raise InvalidInput("送达登记有误", errors)
    task, timer = _timer(session, actor, task_id, "送达", manage=False)
    if timer.status == TimerStatus.SUSPENDED:
        raise Conflict("期限中止期间不能登记送达，请先恢复")
    assert day is not None
    refs = given or [
        attachments.store.within(session, actor, _storage(storage), f, "files").as_ref()
        for f in files
    ]
    for ref in refs:
        row = session.get(Attachment, ref["id"])
        if row is not None:
            row.task_record_id, row.instance_id = task.id, task.instance_id
    event = StartEvent(
        on=day,
        what="送达",
        source=ENTERED,
        at=clock.now(),
        by=org.who(session, actor),
        evidence=label,
        files=tuple({"id": r["id"], "name": r["name"]} for r in refs),
        receipt=True,
        kind="received",
    )

    def check(current: Clock | None) -> None:
        start = current.effective_start if current is not None else None
        if start is None or not start.receipt:
            raise InvalidInput(
                "该期限不是自收到之日起算，不能登记送达",
                {"served_on": ["该期限的起算事件不是送达或收到"]},
            )
        earliest = start.not_before or start.on
        if day < earliest:
            raise InvalidInput(
                "送达日期不能早于送达的文书发出之日",
                {"served_on": [f"不能早于 {earliest.isoformat()}"]},
            )

    computed = _change(
        session, task, timer, {"kind": "serve", "event": event.to_dict()}, check=check
    )
    audit.record(
        session, actor, "deadline.serve", instance_id=task.instance_id, case_id=task.case_id,
        task_id=task.id, served_on=day.isoformat(), evidence=label,
        files=[r["id"] for r in refs], due_at=computed.due_at,
    )  # fmt: skip
    return task


def _served_day(value: Any, errors: dict[str, list[str]]) -> date | None:
    if not isinstance(value, str) or not value.strip():
        errors["served_on"] = ["请填写送达日期"]
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        errors["served_on"] = ["请输入有效日期（YYYY-MM-DD）"]
        return None
    if day > clock.local_now().date():
        errors["served_on"] = ["送达日期不能晚于今天"]
        return None
    return day


def _storage(storage: Path | None) -> Path:
    if storage is None:
        raise InvalidInput("附件存储未配置")
    return storage
