"""Timers fire at their deadline under a moved clock, once, and after a restart."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.db import Database
from app.models import Reminder, Timer
from app.services.execution import timer_pass
from tests.helpers import open_task, register, step

pytestmark = pytest.mark.both_databases


def test_timer_due_during_downtime_fires_once_after_restart(db, settings, clock):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    db.dispose()  # the app stops
    clock.set("2026-10-12T08:30:00+08:00")  # Monday, after the deadline of Saturday 10-10
    result = CliRunner().invoke(main, ["timers", "run"], catch_exceptions=False)
    assert "fired 1 timers" in result.output
    again = CliRunner().invoke(main, ["timers", "run"], catch_exceptions=False)
    assert "fired 0 timers" in again.output
    fresh = Database.open(settings)
    with fresh.read() as session:
        timer = session.scalar(select(Timer).where(Timer.instance_id == instance_id))
        reminders = list(session.scalars(select(Reminder)))
    assert timer.status == "fired"
    assert len(reminders) == 2
    assert open_task(fresh, instance_id).bpmn_id == "agency_reply"
    fresh.dispose()


def test_completing_before_the_deadline_cancels_the_timer(db, clock):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    step(db, instance_id, "gtzy", "agency_reply")
    clock.set("2026-10-20T09:00:00+08:00")
    timer_pass.run_pass(db)
    with db.read() as session:
        rows = list(session.scalars(select(Timer).where(Timer.instance_id == instance_id)))
        reminders = list(session.scalars(select(Reminder)))
    statuses = {row.bpmn_id: row.status for row in rows}
    assert statuses["agency_reply_deadline"] == "cancelled"
    # the center's own deadline (3 working days after the reply of 10-09) has passed
    assert statuses["schedule_deadline"] == "fired"
    assert sorted(r.unit.code for r in reminders) == ["SFJ", "TCZX"]


def test_next_due_is_the_soonest_waiting_timer_or_reminder(db):
    instance_id = register(db)
    assert timer_pass.next_due(db) is None  # the center's first task has no deadline
    step(db, instance_id, "center", "register_materials")
    # the agency's deadline is the end of 10-10; its reminder is due 10-09 09:00 (+08:00)
    assert timer_pass.next_due(db).isoformat() == "2026-10-09T01:00:00+00:00"


def test_scheduler_start_fires_missed_timers_once_and_reports_them(db, clock, client):
    from app import clock as product_clock
    from app.scheduler import TimerScheduler
    from tests.test_web import login

    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    clock.set("2026-10-12T08:30:00+08:00")  # the app was down over the deadline (10-10)
    scheduler = TimerScheduler(db)
    scheduler._started = product_clock.now()
    scheduler._pass()  # what start() schedules first
    scheduler._pass()
    with db.read() as session:
        timer = session.scalar(select(Timer).where(Timer.instance_id == instance_id))
    assert timer.status == "fired"
    login(client, "center")
    page = client.get("/outage").get_data(as_text=True)
    assert page.count("答复期限（3个工作日）") == 1  # reported once, fired once
