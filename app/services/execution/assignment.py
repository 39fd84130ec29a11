"""Who works a task: substitutes for a date range (代理), and reassignment by the unit's head."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app import clock, inputs
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import Substitution, TaskRecord, User
from app.models.states import TaskStatus
from app.services.actor import Actor
from app.services.identity import org
from app.services.identity.permissions import Action, require
from app.services.notify import ladder
from app.services.records import archive_store, audit
from app.services.uow import unit_of_work
from app.workdays import WorkCalendar

# built once: every API request asks
_SUBSTITUTIONS_ON = select(Substitution).where(
    Substitution.substitute_id == bindparam("user_id"),
    Substitution.starts_on <= bindparam("day"),
    Substitution.ends_on >= bindparam("day"),
)


def acting_for(session: Session, user: User, today: date | None = None) -> tuple[Actor, ...]:
    """The users this user substitutes for today."""
    day = (today or clock.local_now().date()).isoformat()
    rows = session.scalars(_SUBSTITUTIONS_ON, {"user_id": user.id, "day": day})
    return tuple(Actor.of(row.user) for row in rows)


@unit_of_work
def name_substitute(
    session: Session, actor: Actor, substitute: str, starts_on: str, ends_on: str, reason: str
) -> Substitution:
    if actor.user_id is None:
        raise Forbidden("只有用户本人可以指定代理人")
    other = session.scalar(select(User).where(User.username == substitute))
    if other is None:
        raise NotFound(f"用户不存在：{substitute}")
    if other.unit_id != actor.unit_id or other.id == actor.user_id:
        raise InvalidInput("代理人须为本单位的其他人员", {"substitute": ["须为本单位的其他人员"]})
    errors: dict[str, list[str]] = {}
    days = {}
    for name, raw in (("starts_on", starts_on), ("ends_on", ends_on)):
        try:
            days[name] = inputs.parse_day(raw)
        except inputs.DateInputError as exc:
            errors[name] = [str(exc)]
    problem = inputs.text_problem(reason, 200)
    if problem:
        errors["reason"] = [problem]
    if errors:
        raise InvalidInput("代理设置有误", errors)
    start, end = days["starts_on"], days["ends_on"]
    if end < start:
        raise InvalidInput("结束日期不能早于开始日期", {"ends_on": ["不能早于开始日期"]})
    row = Substitution(
        user_id=actor.user_id, substitute_id=other.id, starts_on=start.isoformat(),
        ends_on=end.isoformat(), reason=reason.strip(), created_at=clock.now(),
    )  # fmt: skip
    session.add(row)
    audit.record(
        session, actor, "substitute.name", substitute=substitute, starts_on=row.starts_on,
        ends_on=row.ends_on, reason=reason,
    )  # fmt: skip
    return row


@unit_of_work
def reassign(
    session: Session, actor: Actor, task_id: int, username: str, reason: str
) -> TaskRecord:
    """The unit's head gives a task to someone else in the unit, with a reason."""
    require(actor.role, Action.REASSIGN)
    if not reason.strip():
        raise InvalidInput("请填写改派理由", {"reason": ["此项为必填项"]})
    task = session.get(TaskRecord, task_id)
    if task is None:
        raise archive_store.not_found(session, "tasks", task_id, "任务不存在")
    if task.status != TaskStatus.OPEN:
        raise Conflict("任务已办结，不能改派")
    if actor.role != "admin" and task.unit_id != actor.unit_id:
        raise Forbidden("只能改派本单位的任务")
    target = session.scalar(select(User).where(User.username == username))
    if target is None or target.unit_id != task.unit_id or not target.active:
        raise InvalidInput("改派对象须为本单位人员", {"username": ["须为本单位人员"]})
    if task.role is not None and target.role != task.role:
        raise InvalidInput("改派对象的角色不符", {"username": [f"该任务须由 {task.role} 办理"]})
    previous = task.assignee.username if task.assignee else "（本单位）"
    task.assignee = target  # (the returned task names its new assignee after the commit)
    if task.claimed_by_id not in (None, target.id):  # only the new assignee may work it now
        task.claimed_by_id, task.claimed_at = None, None
    audit.record(
        session, actor, "task.reassign", instance_id=task.instance_id, case_id=task.case_id,
        task_id=task.id, previous=previous, to=username, reason=reason,
    )  # fmt: skip
    ladder.plan(session, _calendar(session), task, None)
    return task


def _calendar(session: Session) -> WorkCalendar:
    from app.services.execution import holidays

    return holidays.load(session)


def remind(session: Session, actor: Actor, task_id: int, reason: str) -> TaskRecord:
    """A manual 催办 now, to the people who can do the task."""
    require(actor.role, Action.REMIND)
    task = session.get(TaskRecord, task_id)
    if task is None:
        raise archive_store.not_found(session, "tasks", task_id, "任务不存在")
    if task.status != TaskStatus.OPEN:
        raise Conflict("任务已办结")
    if actor.role == "agency_head" and task.unit_id != actor.unit_id:
        raise Forbidden("只能催办本单位的任务")
    by = session.get(User, actor.user_id) if actor.user_id else None
    who = org.person(by) if by is not None else "督办单位"
    reason_text = reason.strip() or "无"
    ladder.notify_now(session, task, f"{who}催办：“{task.name}”请尽快办理（{reason_text}）")
    audit.record(
        session, actor, "task.remind", instance_id=task.instance_id, case_id=task.case_id,
        task_id=task.id, reason=reason,
    )  # fmt: skip
    return task


@unit_of_work
def bulk(
    session: Session, actor: Actor, action: str, task_ids: list[int], username: str, reason: str
) -> list[dict[str, object]]:
    """Reassign or remind many tasks; each one succeeds or fails on its own."""
    if action not in {"reassign", "remind"}:
        raise InvalidInput("action 须为 reassign 或 remind", {"action": ["取值有误"]})
    results: list[dict[str, object]] = []
    for task_id in task_ids:
        try:
            with audit.savepoint(session):
                if action == "reassign":
                    reassign.within(session, actor, task_id, username, reason)
                else:
                    remind(session, actor, task_id, reason)
        except (Forbidden, NotFound, Conflict, InvalidInput) as exc:
            results.append({"task_id": task_id, "ok": False, "error": exc.message})
        else:
            results.append({"task_id": task_id, "ok": True})
    return results


def substitutions_of(session: Session, user_id: int) -> list[Substitution]:
    return list(
        session.scalars(
            select(Substitution)
            .where((Substitution.user_id == user_id) | (Substitution.substitute_id == user_id))
            .order_by(Substitution.id.desc())
        )
    )


def colleagues(session: Session, actor: Actor) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.unit_id == actor.unit_id, User.id != actor.user_id, User.active.is_(True))
            .order_by(User.username)
        )
    )


def people_for(session: Session, task: TaskRecord) -> list[User]:
    """Who in the task's unit could be given it."""
    stmt = select(User).where(User.unit_id == task.unit_id, User.active.is_(True))
    if task.role is not None:
        stmt = stmt.where(User.role == task.role)
    else:
        stmt = stmt.where(User.role.not_in(["auditor", "court"]))
    return list(session.scalars(stmt.order_by(User.username)))
