"""认领: one person of a task's unit says they are working on it.

Others see who and since when, and may take the task over with a reason (the previous claimant
is notified; every step is audited). An unclaimed task stays open to everyone who may work on
it; a claimed one is completed only by its claimant (or their substitute). Each change is one
conditional UPDATE, so two colleagues claiming at once cannot both win. A submission that
comes after someone else completed the task is told who and when (``completed_message``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from app import clock, inputs
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import Notification, TaskRecord, User
from app.models.states import TaskStatus
from app.services.actor import Actor
from app.services.execution.instances import can_work_on
from app.services.identity import people
from app.services.identity.permissions import Action, require
from app.services.records import archive_store, audit
from app.services.uow import unit_of_work

MAX_REASON = 200


@dataclass(frozen=True)
class Claim:
    user_id: int
    username: str
    label: str  # 王敏（洪泽区自然资源和规划局）
    since: datetime

    def sentence(self) -> str:
        return f"{self.label}于 {clock.to_local(self.since):%Y-%m-%d %H:%M} 认领"


def claim_of(session: Session, task: TaskRecord) -> Claim | None:
    if task.claimed_by_id is None or task.claimed_at is None:
        return None
    user = session.get(User, task.claimed_by_id)
    if user is None:
        return None
    return Claim(user.id, user.username, people.label(user), task.claimed_at)


def holds(actor: Actor, task: TaskRecord) -> bool:
    """The actor (or someone they substitute for today) holds the task's claim."""
    mine = {actor.user_id, *(a.user_id for a in actor.acting_for)}
    return task.claimed_by_id is not None and task.claimed_by_id in mine


def completed_message(session: Session, task: TaskRecord) -> str:
    """What a second submission is told: who completed the task, of which unit, when."""
    if task.status != TaskStatus.COMPLETED or task.completed_at is None:
        return "任务已结束，不能再提交"
    who = people.label_of(session, task.completed_by)
    when = clock.to_local(task.completed_at).strftime("%Y-%m-%d %H:%M")
    return f"该任务已由{who}于 {when} 提交办结，您填写的内容未保存"


def check_may_complete(session: Session, actor: Actor, task: TaskRecord) -> None:
    """A claimed task is done by its claimant; the others must take it over first."""
    if task.claimed_by_id is None or holds(actor, task):
        return
    held = claim_of(session, task)
    who = held.sentence() if held else "他人认领"
    raise Forbidden(f"该任务已由{who}，请先接手再办理")


def _workable(session: Session, actor: Actor, task_id: int, action: Action) -> TaskRecord:
    require(actor.role, action)
    task = session.get(TaskRecord, task_id)
    if task is None:
        raise archive_store.not_found(session, "tasks", task_id, "任务不存在或无权办理")
    if not can_work_on(actor, task):
        raise NotFound("任务不存在或无权办理")
    if task.status != TaskStatus.OPEN:
        raise Conflict("任务已办结")
    return task


def _set_claim(
    session: Session, task: TaskRecord, user_id: int | None, expected: int | None
) -> datetime | None:
    """Move the claim from ``expected`` to ``user_id``; Conflict when someone moved it first."""
    now = clock.now() if user_id is not None else None
    holder = TaskRecord.claimed_by_id
    result = session.execute(
        update(TaskRecord)
        .where(
            TaskRecord.id == task.id,
            TaskRecord.status == TaskStatus.OPEN,
            holder.is_(None) if expected is None else holder == expected,
        )
        .values(claimed_by_id=user_id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        session.refresh(task)
        if task.status != TaskStatus.OPEN:
            raise Conflict("任务已办结")
        held = claim_of(session, task)
        raise Conflict(f"该任务刚由{held.sentence()}" if held else "该任务的认领刚被放弃，请刷新")
    session.refresh(task)
    return now


@unit_of_work
def claim(session: Session, actor: Actor, task_id: int) -> TaskRecord:
    task = _workable(session, actor, task_id, Action.CLAIM)
    if task.claimed_by_id == actor.user_id:
        return task  # already mine: nothing changes
    if task.claimed_by_id is not None:
        held = claim_of(session, task)
        raise Conflict(f"该任务已由{held.sentence() if held else '他人认领'}，可填写理由接手")
    _set_claim(session, task, actor.user_id, None)
    audit.record(
        session, actor, "task.claim", instance_id=task.instance_id, case_id=task.case_id,
        task_id=task.id,
    )  # fmt: skip
    return task


@unit_of_work
def release(session: Session, actor: Actor, task_id: int) -> TaskRecord:
    """放弃认领: the task is open to the whole unit again."""
    task = _workable(session, actor, task_id, Action.CLAIM)
    if task.claimed_by_id != actor.user_id:
        raise Conflict("只有认领人可以放弃认领")
    _set_claim(session, task, None, actor.user_id)
    audit.record(
        session, actor, "task.release", instance_id=task.instance_id, case_id=task.case_id,
        task_id=task.id,
    )  # fmt: skip
    return task


@unit_of_work
def take_over(session: Session, actor: Actor, task_id: int, reason: str) -> TaskRecord:
    """接手 a colleague's claim, with a reason; the colleague is notified."""
    task = _workable(session, actor, task_id, Action.TAKE_OVER)
    problem = "此项为必填项" if not reason.strip() else inputs.text_problem(reason, MAX_REASON)
    if problem:
        raise InvalidInput(f"接手理由：{problem}", {"reason": [problem]})
    previous = claim_of(session, task)
    if previous is None:
        raise Conflict("该任务无人认领，可直接认领")
    if previous.user_id == actor.user_id:
        return task
    _set_claim(session, task, actor.user_id, previous.user_id)
    me = session.get(User, actor.user_id)
    taker = people.label(me) if me is not None else actor.username
    session.add(
        Notification(
            user_id=previous.user_id, kind="takeover", task_record_id=task.id,
            message=f"您认领的“{task.name}”已由{taker}接手，理由：{reason.strip()}",
            created_at=clock.now(),
        )
    )  # fmt: skip
    audit.record(
        session, actor, "task.takeover", instance_id=task.instance_id, case_id=task.case_id,
        task_id=task.id, previous=previous.username, reason=reason.strip(),
    )  # fmt: skip
    return task
