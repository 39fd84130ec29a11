"""The holiday calendar can be corrected (issue 17 point 6): a year imported again replaces the
one stored, and every waiting deadline whose date moves is recomputed, audited and its unit
told — provisional or not."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app import clock as product_clock
from app.models import AuditEvent, CalendarDay, Notification, User
from app.services.actor import SYSTEM
from app.services.execution import holidays, timer_pass
from tests.helpers import open_task, register, step

pytestmark = pytest.mark.both_databases


def _import(db, text: str) -> int:
    with db.write() as session:
        _, years = holidays.import_schedule(session, SYSTEM, text, "correction.txt")
    return timer_pass.recompute_after_import(db, years)


def test_a_corrected_import_moves_a_waiting_deadline_and_tells_its_unit(db, clock):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")  # the notice reaches GTZY on 09-30
    reply = open_task(db, instance_id)
    assert product_clock.to_local(reply.due_at).date().isoformat() == "2026-10-10"
    assert not reply.provisional
    # the district declares 10-09 a rest day after all
    assert _import(db, "2026-10-09,休,临时调整\n") == 1
    moved = open_task(db, instance_id)
    # 10-08, 10-10 (make-up), 10-12
    assert product_clock.to_local(moved.due_at).date().isoformat() == "2026-10-12"
    assert "10-09 临时调整" in moved.due_rule
    with db.read() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "deadline.recompute"))
        told = session.execute(
            select(User.username, Notification.message)
            .join(Notification, Notification.user_id == User.id)
            .where(Notification.task_record_id == reply.id)
        ).all()
    assert event is not None and event.detail["task_id"] == reply.id
    assert {u for u, _ in told} >= {"gtzy"}
    assert all("由 2026-10-10 调整为 2026-10-12" in m for _, m in told)


def test_importing_a_declared_year_again_replaces_it_whole(db, clock):
    _import(db, "year,2027\n2027-01-01,休,元旦\n2027-01-04,休,元旦调休\n")
    _import(db, "year,2027\n2027-01-01,休,元旦\n")  # 01-04 was a mistake
    with db.read() as session:
        days = [d.day.isoformat() for d in session.scalars(select(CalendarDay))]
        work = holidays.load(session)
    assert days == ["2027-01-01"]
    assert work.is_workday(date(2027, 1, 4))


def test_an_unchanged_calendar_moves_nothing_and_tells_nobody(db, clock):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    _import(db, "year,2027\n2027-01-01,休,元旦\n")
    with db.read() as session:
        assert session.scalar(select(Notification.id)) is None
        assert (
            session.scalar(select(AuditEvent.id).where(AuditEvent.action == "deadline.recompute"))
            is None
        )
