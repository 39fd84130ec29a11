"""Reminder ladders at holiday boundaries, under a moved clock."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from app.models import LadderStep, Notification, User
from app.services.execution import deadlines, timer_pass
from app.services.notify import ladder
from app.workdays import WorkCalendar
from tests.helpers import actor, open_task, register, step
from tests.test_web import login

pytestmark = pytest.mark.both_databases


def _local(moment: datetime) -> str:
    from app import clock

    return clock.to_local(moment).strftime("%Y-%m-%d %H:%M")


def test_step_times_skip_rest_days():
    calendar = WorkCalendar()
    # due 2026-10-10 (make-up Saturday): reminder on Fri 10-09, 催办 at 00:00 Sun 10-11 is a rest
    # day so it waits for Mon 10-12 09:00, 督办 the next working day 10-13 09:00
    step_times = ladder.step_times(
        calendar, datetime.fromisoformat("2026-10-10T23:59:59.999999+08:00")
    )
    assert {k: _local(v) for k, v in step_times.items()} == {
        "reminder": "2026-10-09 09:00",
        "head": "2026-10-12 09:00",
        "escalation": "2026-10-13 09:00",
    }
    # due Thu 2026-10-08, the first day after National Day: the reminder waits back to 09-30
    times = ladder.step_times(calendar, datetime.fromisoformat("2026-10-08T23:59:59.999999+08:00"))
    assert _local(times["reminder"]) == "2026-09-30 09:00"
    assert _local(times["head"]) == "2026-10-09 00:00"  # a working day: straight away
    assert _local(times["escalation"]) == "2026-10-10 09:00"  # the make-up Saturday works


def _usernames(db, kind):
    with db.read() as session:
        rows = session.execute(
            select(User.username).join(Notification, Notification.user_id == User.id)
            .where(Notification.kind == kind)
        )  # fmt: skip
        return sorted(r[0] for r in rows)


def test_each_step_reaches_its_people_once_at_its_time(db, clock):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")  # agency reply due 10-10
    clock.set("2026-10-09T08:59:00+08:00")
    timer_pass.run_pass(db)
    assert _usernames(db, "reminder") == []
    clock.set("2026-10-09T09:00:01+08:00")
    timer_pass.run_pass(db)
    # everyone in the unit who may do the task (its head is chased later, if need be)
    assert _usernames(db, "reminder") == ["gtzy", "gtzy_lawyer", "gtzy_reviewer"]
    timer_pass.run_pass(db)
    assert len(_usernames(db, "reminder")) == 3  # once
    clock.set("2026-10-11T12:00:00+08:00")  # Sunday: the deadline passed, but a rest day
    timer_pass.run_pass(db)
    assert _usernames(db, "head") == []
    clock.set("2026-10-12T09:00:01+08:00")
    timer_pass.run_pass(db)
    assert _usernames(db, "head") == ["gtzy_head"]
    assert _usernames(db, "escalation") == []
    clock.set("2026-10-13T09:00:01+08:00")
    timer_pass.run_pass(db)
    assert _usernames(db, "escalation") == ["center"]


def test_done_tasks_are_not_chased(db, clock):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    step(db, instance_id, "gtzy", "agency_reply")
    clock.set("2026-10-09T09:00:01+08:00")
    timer_pass.run_pass(db)
    # the center's scheduling (due 10-10, 3 working days after the reply) is reminded today;
    # the agency's reply, done, is not
    assert _usernames(db, "reminder") == ["center"]


def test_ladder_follows_an_extended_deadline(db, clock):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    task = open_task(db, instance_id)
    deadlines.extend(db, actor(db, "center"), task.id, 2, "材料较多")  # due 10-13
    with db.read() as session:
        steps = {
            s.step: _local(s.due_at)
            for s in session.scalars(select(LadderStep).where(LadderStep.task_record_id == task.id))
        }
    assert steps["reminder"] == "2026-10-12 09:00"


def test_unread_count_and_mark_read(client, db, clock):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    clock.set("2026-10-09T09:00:01+08:00")
    timer_pass.run_pass(db)
    login(client, "gtzy")
    page = client.get("/").get_data(as_text=True)
    assert 'id="unread-count">1<' in page
    listing = client.get("/notifications").get_data(as_text=True)
    assert "提醒" in listing and "2026-10-10" in listing
    from tests.test_web import _csrf

    client.post("/notifications/read", data={"csrf_token": _csrf(client, "/notifications")})
    assert 'id="unread-count"' not in client.get("/").get_data(as_text=True)


def test_a_task_property_changes_the_ladder(db):
    """A process owner's `ladder` task property (here: only the escalation) replaces the default."""
    from app.services.execution import holidays

    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    task = open_task(db, instance_id)
    with db.write() as session:
        row = session.merge(task)
        ladder.plan(session, holidays.load(session), row, "escalation")
        assert [s.step for s in session.scalars(
            select(LadderStep).where(LadderStep.task_record_id == task.id)
        )] == ["escalation"]  # fmt: skip
        ladder.plan(session, holidays.load(session), row, "none")
        assert (
            list(session.scalars(select(LadderStep).where(LadderStep.task_record_id == task.id)))
            == []
        )
