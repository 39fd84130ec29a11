"""Importing a year's holiday schedule from the browser: first a preview of the open deadlines
it would move, then the import itself (the same audited step as ``huajie calendar import``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import clock
from app.db import Database
from app.models import ProcessInstance, TaskRecord, Timer
from app.models.states import InstanceStatus, TimerStatus
from app.services.actor import Actor
from app.services.execution import holidays, timer_pass
from app.services.execution.workflows import ENGINE, restore
from app.services.identity.permissions import Action, require
from app.services.uow import unit_of_work

MAX_FILE_CHARS = 200_000  # a year's schedule is a few hundred lines


@dataclass(frozen=True)
class Move:
    """An open deadline the import would move."""

    instance_id: int
    case_no: str
    summary: str
    task_name: str  # the task it is the deadline of, or the timer's name
    before: date | None
    after: date | None


@dataclass(frozen=True)
class Preview:
    days: int
    years: list[int]
    replaced: list[int]  # declared years: what was stored for them is replaced
    moves: list[Move]


def waiting_instances(session: Session, years: set[int]) -> list[int]:
    """Running instances with a waiting deadline the years may move (due on or after their
    first day, or provisional): ``timer_pass.recompute_after_import``'s choice."""
    first = datetime.combine(date(min(years), 1, 1), time(), clock.SHANGHAI)
    waiting = (
        select(Timer.instance_id)
        .where(
            Timer.status == TimerStatus.WAITING,
            or_(Timer.due_at >= first, Timer.provisional.is_(True)),
        )
        .distinct()
    )
    return sorted(session.scalars(waiting))


def _local_day(moment: datetime | None) -> date | None:
    return clock.to_local(moment).date() if moment else None


def preview(session: Session, actor: Actor, text: str) -> Preview:
    """What importing ``text`` would change, computed and nothing stored (a read)."""
    require(actor.role, Action.ADMINISTER)
    schedule = holidays.parse(text)
    calendar = holidays.as_if_imported(session, schedule)
    moves: list[Move] = []
    for instance_id in waiting_instances(session, schedule.years):
        instance = session.get(ProcessInstance, instance_id)
        if instance is None or instance.status != InstanceStatus.RUNNING:
            continue
        with holidays.with_calendar(session, calendar):
            workflow = restore(session, instance)  # taken from the cache: not put back
            before = {t.spiff_id: t.due_at for t in ENGINE.timers(workflow) if t.state == "waiting"}
            for spiff_id in before:
                ENGINE.recompute_timer(workflow, spiff_id)
            moved = [
                t for t in ENGINE.timers(workflow)
                if t.spiff_id in before and t.due_at != before[t.spiff_id]
            ]  # fmt: skip
        for timer in moved:
            task_name = session.scalar(
                select(TaskRecord.name).where(
                    TaskRecord.instance_id == instance_id,
                    TaskRecord.spiff_task_id == (timer.host_spiff_id or ""),
                )
            )
            moves.append(
                Move(
                    instance_id, instance.case.case_no if instance.case else "", instance.summary,
                    task_name or timer.name, _local_day(before[timer.spiff_id]),
                    _local_day(timer.due_at),
                )
            )  # fmt: skip
    return Preview(
        len(schedule.overrides), sorted(schedule.years), sorted(schedule.declared), moves
    )


@unit_of_work
def _store(session: Session, actor: Actor, text: str, source: str) -> set[int]:
    require(actor.role, Action.ADMINISTER)
    _, years = holidays.import_schedule(session, actor, text, source)
    return years


def import_file(db: Database, actor: Actor, text: str, source: str) -> int:
    """Store the schedule (audited ``calendar.import``), then compute every waiting deadline it
    may move again, each moved one audited and its unit told. Returns the instances looked at."""
    years = _store(db, actor, text, source)
    return timer_pass.recompute_after_import(db, years)
