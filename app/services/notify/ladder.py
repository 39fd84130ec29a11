"""Reminder ladders: every user task with a deadline is reminded, chased and escalated.

By default (task property ``ladder`` overrides it: a comma list of steps, or ``none``):
- ``reminder`` 提醒: at 09:00 on the working day before the due date, to the people who can do it;
- ``head`` 催办: when the deadline passes, to the unit's head (agency_head);
- ``escalation`` 督办: at 09:00 on the next working day after that, to the center in the
  mechanisms its lane appears in (for anyone's task but its own), else to the bureau.
Nothing is sent on a rest day: a step that would fall on one waits for the next working day
at 09:00. Steps follow the due date when it is extended, suspended or resumed.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app import clock
from app.models import LadderStep, Notification, ProcessInstance, TaskRecord, Unit, User
from app.models.states import TaskStatus
from app.services.execution.workflows import ENGINE, pinned_definition
from app.services.notify import webhooks
from app.services.records import audit
from app.services.uow import unit_of_work
from app.workdays import WorkCalendar

DEFAULT_LADDER = ("reminder", "head", "escalation")
HOUR = 9
LABELS = {"reminder": "提醒", "head": "催办", "escalation": "督办"}


def _at_nine(day: object) -> datetime:
    return datetime.combine(day, time(HOUR), clock.SHANGHAI)  # type: ignore[arg-type]


def step_times(calendar: WorkCalendar, due_at: datetime) -> dict[str, datetime]:
    due_day = clock.to_local(due_at).date()
    before = due_day - timedelta(days=1)
    while not calendar.is_workday(before):
        before -= timedelta(days=1)
    passed = calendar.next_working_day_at(due_at + timedelta(microseconds=1), HOUR)
    after = clock.to_local(passed).date() + timedelta(days=1)
    while not calendar.is_workday(after):
        after += timedelta(days=1)
    return {"reminder": _at_nine(before), "head": passed, "escalation": _at_nine(after)}


def plan(session: Session, calendar: WorkCalendar, task: TaskRecord, ladder: str | None) -> None:
    """(Re)plan the unfired steps of a task from its current due date."""
    session.execute(
        delete(LadderStep).where(
            LadderStep.task_record_id == task.id, LadderStep.fired_at.is_(None)
        )
    )
    if task.status != TaskStatus.OPEN or task.due_at is None:
        return
    steps = DEFAULT_LADDER if ladder is None else tuple(
        s.strip() for s in ladder.split(",") if s.strip() in LABELS
    )  # fmt: skip
    fired = set(
        session.scalars(
            select(LadderStep.step).where(
                LadderStep.task_record_id == task.id, LadderStep.fired_at.is_not(None)
            )
        )
    )
    times = step_times(calendar, task.due_at)
    for step in steps:
        if step not in fired:
            session.add(LadderStep(task_record_id=task.id, step=step, due_at=times[step]))
            session.info.setdefault("timer_due", []).append(times[step])


def _recipients(session: Session, task: TaskRecord, step: str) -> list[User]:
    if step == "reminder":
        stmt = select(User).where(User.unit_id == task.unit_id, User.active.is_(True))
        if task.assignee_id is not None:
            stmt = stmt.where(User.id == task.assignee_id)
        elif task.role is not None:
            stmt = stmt.where(User.role == task.role)
        else:
            stmt = stmt.where(User.role.not_in(["auditor", "court", "agency_head"]))
        return list(session.scalars(stmt))
    if step == "head":
        return list(
            session.scalars(
                select(User).where(User.unit_id == task.unit_id, User.role == "agency_head")
            )
        )
    kind = escalation_unit_kind(session, task)
    return list(
        session.scalars(
            select(User)
            .join(Unit, Unit.id == User.unit_id)
            .where(Unit.kind == kind, or_(User.role == kind, User.role == "bureau_head"))
        )
    )


CENTER_LANE = "区调处中心"


def escalation_unit_kind(session: Session, task: TaskRecord) -> str:
    """Who a 督办 goes to: the center for the mechanisms it runs (their diagrams have its
    lane), unless the late task is its own; the bureau for everything else (mechanisms 1–3,
    9 and 10, where the center has no role)."""
    instance = session.get(ProcessInstance, task.instance_id)
    if instance is None:
        return "bureau"
    lanes = ENGINE.lane_names(pinned_definition(session, instance).spec_json)
    own = task.unit is not None and task.unit.kind == "center"
    return "center" if CENTER_LANE in lanes and not own else "bureau"


def _message(task: TaskRecord, step: str) -> str:
    due = clock.to_local(task.due_at).strftime("%Y-%m-%d") if task.due_at else ""
    unit = task.unit.name if task.unit else ""
    if step == "reminder":
        return f"提醒：“{task.name}”将于 {due} 到期，请按期办理"
    if step == "head":
        return f"催办：{unit}“{task.name}”已超过期限（{due}），请督促办理"
    return f"督办：{unit}“{task.name}”逾期未办（期限 {due}），请跟进"


def fire_due(session: Session) -> int:
    """Send every step that is due (its task still open); returns how many were sent."""
    now = clock.now()
    sent = 0
    due = session.scalars(
        select(LadderStep)
        .where(LadderStep.fired_at.is_(None), LadderStep.due_at < now)
        .order_by(LadderStep.due_at)
        .limit(500)
        .with_for_update(of=LadderStep, skip_locked=True)  # several processes: each sends once
    )
    recipients: dict[tuple[object, ...], list[User]] = {}  # steps of one unit share people
    notifications: list[Notification] = []
    with session.no_autoflush:  # one INSERT batch at the end, not a flush per query
        for step in list(due):
            step.fired_at = now
            task = step.task
            if task.status != TaskStatus.OPEN:
                continue
            key = (task.unit_id, task.assignee_id, task.role, step.step)
            if key not in recipients:
                recipients[key] = _recipients(session, task, step.step)
            users = recipients[key]
            message = _message(task, step.step)
            notifications.extend(
                Notification(
                    user_id=user.id, kind=step.step, task_record_id=task.id,
                    message=message, created_at=now,
                )
                for user in users
            )  # fmt: skip
            webhooks.queue(session, {u.unit_id for u in users}, step.step, message)
            audit.record(
                session, "system", f"ladder.{step.step}", instance_id=task.instance_id,
                case_id=task.case_id, task_id=task.id, recipients=[u.username for u in users],
            )  # fmt: skip
            sent += 1
    session.add_all(notifications)
    return sent


def next_due(session: Session) -> datetime | None:
    return session.scalar(
        select(LadderStep.due_at)
        .where(LadderStep.fired_at.is_(None))
        .order_by(LadderStep.due_at)
        .limit(1)
    )


def unread_count(session: Session, user_id: int) -> int:
    from sqlalchemy import func

    return int(
        session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def for_user(session: Session, user_id: int, limit: int = 100) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


@unit_of_work
def mark_read(session: Session, user_id: int) -> None:
    now = clock.now()
    for row in session.scalars(
        select(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ):
        row.read_at = now


def notify_now(session: Session, task: TaskRecord, message: str) -> list[User]:
    users = _recipients(session, task, "reminder")
    webhooks.queue(session, {u.unit_id for u in users}, "remind", message)
    now = clock.now()
    for user in users:
        session.add(
            Notification(
                user_id=user.id, kind="remind", task_record_id=task.id, message=message,
                created_at=now,
            )
        )  # fmt: skip
    return users
