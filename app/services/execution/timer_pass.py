"""Firing due timers from the indexed timer projection, never by loading idle instances."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from app import clock
from app.db import Database
from app.engine import TimerState
from app.errors import Conflict
from app.models import ProcessInstance, TaskRecord, Timer
from app.models.states import TaskStatus, TimerStatus
from app.services.execution import instances
from app.services.notify import ladder
from app.services.records import audit

log = logging.getLogger(__name__)


@dataclass
class PassReport:
    instances: int
    fired: int
    conflicts: int
    reminders: int = 0
    skipped: int = 0


def due_instance_ids(db: Database, now: datetime, limit: int = 500) -> list[int]:
    with db.read() as session:
        return list(
            session.scalars(
                select(Timer.instance_id)
                .where(Timer.status == TimerStatus.WAITING, Timer.due_at < now)
                .group_by(Timer.instance_id)
                .order_by(func.min(Timer.due_at))
                .limit(limit)
            )
        )


def claim(session: Session, instance_id: int, now: datetime) -> bool:
    """Lock an instance that still has a due timer, or say no at once.

    Every writer of an instance locks its row first (``instances.lock_instance``), so holding it
    means no other process is firing its timers; ``SKIP LOCKED`` passes over an instance that
    another pass (or a person) is writing, and the timer check that follows sees what that
    writer committed. So with several processes on PostgreSQL each timer fires once. SQLite
    has one writer at a time and renders no lock clause.
    """
    if session.get_bind().dialect.name != "sqlite":
        locked = session.scalar(
            select(ProcessInstance.id)
            .where(ProcessInstance.id == instance_id)
            .with_for_update(skip_locked=True)
        )
        if locked is None:
            return False
    due = session.scalar(_STILL_DUE, {"instance_id": instance_id, "now": now})
    return due is not None


_STILL_DUE = (  # built once: a pass asks it for every instance it fires
    select(Timer.id)
    .where(
        Timer.instance_id == bindparam("instance_id"),
        Timer.status == TimerStatus.WAITING,
        Timer.due_at < bindparam("now", type_=Timer.due_at.type),
    )
    .limit(1)
)


def run_pass(db: Database, missed_before: datetime | None = None) -> PassReport:
    """Advance every instance with a due timer, each in its own transaction.

    Safe to run in several processes at once (see ``claim``). ``missed_before`` (the start-up
    time, for the first pass after the app was down): timers due before it fired late because
    of the outage, and are recorded for the center's report.
    """
    now = clock.now()
    report = PassReport(0, 0, 0)
    for instance_id in due_instance_ids(db, now):
        try:
            with db.write() as session:
                if not claim(session, instance_id, now):
                    report.skipped += 1  # another process has it, or has fired it already
                    continue
                result = instances.advance_instance(session, instance_id)
                missed = [t for t in result.fired if missed_before and t.due_at < missed_before]
                for timer in missed:
                    audit.record(
                        session, "system", "timer.missed_during_outage",
                        instance_id=timer.instance_id, timer=timer.name,
                        task_id=timer.task_record_id, due_at=timer.due_at, fired_at=now,
                    )  # fmt: skip
        except Conflict:
            report.conflicts += 1  # a writer that does not lock first got there: next pass
            continue
        report.instances += 1
        report.fired += len(result.fired)
    with db.write() as session:
        report.reminders = ladder.fire_due(session)
    if report.fired:
        log.info("timer pass: fired %d timers in %d instances", report.fired, report.instances)
    return report


def next_due(db: Database) -> datetime | None:
    """The soonest waiting timer or unsent reminder-ladder step."""
    with db.read() as session:
        timer = session.scalar(
            select(func.min(Timer.due_at)).where(Timer.status == TimerStatus.WAITING)
        )
        step = ladder.next_due(session)
    return min((t for t in (timer, step) if t is not None), default=None)


def recompute_after_import(db: Database, years: set[int]) -> int:
    """After a holiday schedule is imported or corrected: every waiting deadline that may have
    counted a day of those years (due on or after their first day), and every provisional one,
    is computed again; each that moves is audited and its unit told. Returns the instances."""
    first = datetime.combine(date(min(years), 1, 1), time(), clock.SHANGHAI)
    with db.read() as session:
        ids = list(
            session.scalars(
                select(Timer.instance_id)
                .where(
                    Timer.status == TimerStatus.WAITING,
                    or_(Timer.due_at >= first, Timer.provisional.is_(True)),
                )
                .distinct()
            )
        )
    for instance_id in ids:
        with db.write() as session:
            for timer, before in instances.recompute_timers(session, instance_id):
                _tell_moved(session, instance_id, timer, before)
    return len(ids)


def _tell_moved(
    session: Session, instance_id: int, timer: TimerState, before: datetime | None
) -> None:
    task = session.scalar(
        select(TaskRecord).where(
            TaskRecord.instance_id == instance_id,
            TaskRecord.spiff_task_id == (timer.host_spiff_id or ""),
        )
    )
    old = clock.to_local(before).date().isoformat() if before else "（无）"
    new = clock.to_local(timer.due_at).date().isoformat() if timer.due_at else "（中止中）"
    audit.record(
        session, "system", "deadline.recompute", instance_id=instance_id,
        task_id=task.id if task else None, timer=timer.bpmn_id, before=before,
        due_at=timer.due_at, reason="节假日安排导入或更正",
    )  # fmt: skip
    if task is not None and task.status == TaskStatus.OPEN:
        ladder.notify_now(
            session, task,
            f"节假日安排已更新：“{task.name}”的期限由 {old} 调整为 {new}（{timer.explanation}）",
        )  # fmt: skip
