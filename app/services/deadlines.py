"""Managing a running deadline: 中止 (suspend), 恢复 (resume) and 延长 (extend), with reasons.

Suspending keeps the working days that were left: the days after the suspension day up to
the due date. Resuming counts them again from the resumption day, as ``working_days`` does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import ProcessInstance, TaskRecord, Timer
from app.services import audit, calendar, projections, runtime
from app.services.actor import Actor
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.workdays import end_of_day

MANAGER_ROLES = {"center", "bureau", "bureau_head", "admin"}
MAX_EXTENSION = 60


def _timer(session: Session, actor: Actor, task_id: int, reason: str) -> tuple[TaskRecord, Timer]:
    if actor.role not in MANAGER_ROLES:
        raise Forbidden("只有调处中心或司法局可以中止、恢复或延长期限")
    if not reason or not reason.strip():
        raise InvalidInput("请填写理由", {"reason": ["此项为必填项"]})
    task = session.get(TaskRecord, task_id)
    if task is None:
        raise NotFound("任务不存在")
    # queue behind the instance's other writers (a message, a timer pass firing this very
    # deadline), then read the task and its timer as they left them
    runtime.lock_instance(session, task.instance_id)
    session.refresh(task)
    if task.status != "open":
        raise Conflict("任务已办结，期限不能再调整")
    timer = session.scalar(
        select(Timer)
        .where(Timer.task_record_id == task.id, Timer.status.in_(["waiting", "suspended"]))
        .order_by(Timer.due_at)
        .limit(1)
    )
    if timer is None:
        raise InvalidInput("该任务没有计时中的期限")
    return task, timer


def _change(session: Session, task: TaskRecord, timer: Timer, change: Any) -> None:
    instance = session.get(ProcessInstance, task.instance_id)  # locked by _timer
    assert instance is not None
    with calendar.in_scope(session):
        spec = runtime.pinned_definition(session, instance).spec_json
        workflow = runtime.ENGINE.load(spec, instance.state)
        change(workflow)
        projections.save(session, instance, workflow)


def suspend(session: Session, actor: Actor, task_id: int, reason: str) -> TaskRecord:
    task, timer = _timer(session, actor, task_id, reason)
    if timer.status == "suspended":
        raise Conflict("期限已处于中止状态")
    cal = calendar.load(session)
    today = clock.local_now().date()
    due = clock.to_local(timer.due_at).date()
    remaining = cal.working_days_between(today, due)
    state = {"reason": reason.strip(), "remaining": remaining, "since": today.isoformat()}
    _change(session, task, timer, lambda wf: runtime.ENGINE.set_timer(
        wf, timer.spiff_task_id, None, timer.explanation, suspended=state))  # fmt: skip
    audit.record(
        session, actor, "deadline.suspend", instance_id=task.instance_id, case_id=task.case_id,
        task_id=task.id, reason=reason, remaining_working_days=remaining,
    )  # fmt: skip
    return task


def resume(session: Session, actor: Actor, task_id: int, reason: str) -> TaskRecord:
    task, timer = _timer(session, actor, task_id, reason)
    if timer.status != "suspended":
        raise Conflict("期限未中止，无需恢复")
    instance = session.get(ProcessInstance, task.instance_id)  # locked by _timer
    assert instance is not None
    with calendar.in_scope(session):
        spec = runtime.pinned_definition(session, instance).spec_json
        workflow = runtime.ENGINE.load(spec, instance.state)
        state = (
            next(
                t.suspended
                for t in runtime.ENGINE.timers(workflow)
                if t.spiff_id == timer.spiff_task_id
            )
            or {}
        )
        remaining = int(state.get("remaining", 0))
        today = clock.local_now().date()
        if remaining > 0:
            deadline = calendar.current().add_working_days(today, remaining)
            due, why = deadline.due_at, deadline.explain()
        else:  # nothing was left: due at the end of the resumption day
            due, why = end_of_day(today), "恢复当日到期"
        explanation = f"{projections.suspension_text(state)}；{today.isoformat()} 恢复：{why}"
        runtime.ENGINE.set_timer(workflow, timer.spiff_task_id, due, explanation)
        projections.save(session, instance, workflow)
    audit.record(
        session, actor, "deadline.resume", instance_id=task.instance_id, case_id=task.case_id,
        task_id=task.id, reason=reason, due_at=due,
    )  # fmt: skip
    return task


def extend(session: Session, actor: Actor, task_id: int, days: Any, reason: str) -> TaskRecord:
    task, timer = _timer(session, actor, task_id, reason)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION:
        raise InvalidInput("延长天数有误", {"days": [f"应为 1 至 {MAX_EXTENSION} 的整数"]})
    if timer.status == "suspended":
        raise Conflict("期限中止期间不能延长，请先恢复")
    cal = calendar.load(session)
    deadline = cal.add_working_days(clock.to_local(timer.due_at).date(), days)
    explanation = (
        f"{timer.explanation}；延长 {days} 个工作日（{reason.strip()}）：{deadline.explain()}"
    )
    _change(session, task, timer, lambda wf: runtime.ENGINE.set_timer(
        wf, timer.spiff_task_id, deadline.due_at, explanation))  # fmt: skip
    audit.record(
        session, actor, "deadline.extend", instance_id=task.instance_id, case_id=task.case_id,
        task_id=task.id, days=days, reason=reason, due_at=deadline.due_at,
    )  # fmt: skip
    return task
