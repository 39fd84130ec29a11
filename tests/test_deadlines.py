"""中止 / 恢复 / 延长: managing a running deadline, with reasons, in every view and the log."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, select

from app.clock import now as clock_now
from app.db import Database
from app.errors import Conflict, Forbidden, InvalidInput
from app.models import AuditEvent, Timer
from app.models.states import DeadlineState
from app.services.execution import deadlines, timer_pass
from app.services.reporting import queries
from tests.helpers import actor, open_task, register, step

pytestmark = pytest.mark.both_databases


def _agency_task(db):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")  # due 2026-10-10 (3 working days)
    return instance_id, open_task(db, instance_id)


def test_suspend_keeps_the_remaining_working_days_and_resume_counts_them_again(db, clock):
    instance_id, task = _agency_task(db)
    clock.set("2026-10-08T10:00:00+08:00")  # 10-09 and 10-10 are left
    deadlines.suspend(db, actor(db, "center"), task.id, "当事人暂时无法联系")
    suspended = open_task(db, instance_id)
    assert suspended.due_at is None and "剩余 2 个工作日" in suspended.due_rule
    assert suspended.deadline_suspended
    assert queries.deadline_state(suspended, clock_now()) == DeadlineState.SUSPENDED
    clock.set("2026-10-20T10:00:00+08:00")  # the old deadline has long passed
    assert timer_pass.run_pass(db).fired == 0  # a suspended deadline does not fire
    deadlines.resume(db, actor(db, "center"), task.id, "已联系上当事人")
    resumed = open_task(db, instance_id)
    assert resumed.due_at.isoformat() == "2026-10-22T15:59:59.999999+00:00"  # 10-21, 10-22
    assert "中止" in resumed.due_rule and "恢复" in resumed.due_rule
    assert not resumed.deadline_suspended
    with db.read() as session:
        timer = session.scalar(select(Timer).where(Timer.instance_id == instance_id))
        actions = [e.action for e in session.scalars(select(AuditEvent))]
    assert timer.status == "waiting" and timer.due_at == resumed.due_at
    assert "deadline.suspend" in actions and "deadline.resume" in actions
    clock.set("2026-10-23T00:00:01+08:00")
    assert timer_pass.run_pass(db).fired == 1


def test_extend_adds_working_days_after_the_current_due_date(db):
    instance_id, task = _agency_task(db)
    deadlines.extend(db, actor(db, "bureau"), task.id, 2, "材料较多")
    extended = open_task(db, instance_id)
    assert extended.due_at.isoformat().startswith("2026-10-13T15:59")  # 10-12, 10-13
    assert "延长 2 个工作日（材料较多）" in extended.due_rule


def _on_queueing(
    db: Database, thread: threading.Thread, queued: threading.Event
) -> Callable[[], None]:
    """Set ``queued`` when ``thread``, inside its write transaction, asks for the lock another
    writer of the instance holds: SQLite's one writer (its ``BEGIN IMMEDIATE``), PostgreSQL's
    row lock on the instance. Returns what removes the listener."""
    if db.is_sqlite:
        name = "engine_connect"  # the transaction's connection, just before its BEGIN IMMEDIATE

        def listener(*_args: Any) -> None:
            if threading.current_thread() is thread:
                queued.set()

        event.listen(db.write_engine, name, listener)
    else:
        name = "before_cursor_execute"

        def listener(*args: Any) -> None:
            statement = args[2]
            locks = "FOR UPDATE" in statement and "FROM process_instances" in statement
            if threading.current_thread() is thread and locks:
                queued.set()

        event.listen(db.write_engine, name, listener)
    return lambda: event.remove(db.write_engine, name, listener)


def test_an_extension_waits_for_another_writer_of_the_instance_instead_of_failing(db, settings):
    """Another writer (a message, a timer pass in another process) holds the instance while the
    bureau extends the deadline: the extension queues for the instance and then succeeds on
    what that writer committed. The writer lets go only once the extension, inside its
    transaction, has asked for the lock (no sleep: on PostgreSQL an extension that takes no row
    lock never asks, and the test fails)."""
    from sqlalchemy import update

    from app.models import ProcessInstance
    from app.services.execution import instances

    instance_id, task = _agency_task(db)
    other = Database.open(settings)  # another process's writer: ``db`` waits in the database
    holding, queued, release = threading.Event(), threading.Event(), threading.Event()
    outcome: list[str] = []

    def other_writer() -> None:
        with other.write() as session:
            instances.lock_instance(session, instance_id)
            session.execute(
                update(ProcessInstance)
                .where(ProcessInstance.id == instance_id)
                .values(lock_version=ProcessInstance.lock_version + 1)
            )
            holding.set()
            release.wait(30)

    bureau = actor(db, "bureau")

    def extension() -> None:
        try:
            deadlines.extend(db, bureau, task.id, 2, "材料较多")
        except Conflict as exc:
            outcome.append(f"conflict: {exc}")
        else:
            outcome.append("ok")

    writer = threading.Thread(target=other_writer)
    writer.start()
    assert holding.wait(30)
    extender = threading.Thread(target=extension)
    stop_listening = _on_queueing(db, extender, queued)
    extender.start()
    try:
        assert queued.wait(30), "the extension never asked for the instance's lock"
    finally:
        release.set()
        writer.join(30)
        extender.join(30)
        stop_listening()
        other.dispose()
    assert outcome == ["ok"]
    assert "延长 2 个工作日（材料较多）" in open_task(db, instance_id).due_rule


def test_only_center_or_bureau_and_always_with_a_reason(db):
    _, task = _agency_task(db)
    with pytest.raises(Forbidden), db.write() as session:
        deadlines.suspend.within(session, actor(db, "gtzy"), task.id, "想晚点办")
    with pytest.raises(InvalidInput), db.write() as session:
        deadlines.suspend.within(session, actor(db, "center"), task.id, "  ")
    with pytest.raises(InvalidInput), db.write() as session:
        deadlines.extend.within(session, actor(db, "center"), task.id, 0, "x")
    deadlines.suspend(db, actor(db, "center"), task.id, "原因")
    with pytest.raises(Conflict), db.write() as session:
        deadlines.extend.within(session, actor(db, "center"), task.id, 2, "中止中不能延长")


def test_deadline_actions_on_the_task_page(client, db, clock):
    from tests.test_web import _csrf, login

    instance_id, task = _agency_task(db)
    login(client, "center")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "中止期限" in page and "延长期限" in page
    response = client.post(
        f"/tasks/{task.id}/deadline",
        data={
            "action": "suspend",
            "reason": "当事人住院",
            "csrf_token": _csrf(client, f"/tasks/{task.id}"),
        },
    )
    assert response.status_code == 302
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "期限自 2026-09-30 起中止（当事人住院）" in page and "恢复期限" in page
