"""A held writer lock: a writer is refused with 503 and ``Retry-After`` once the lock timeout
passes (here 1 s), a reader of the same instance is answered meanwhile, and the writer succeeds
when the lock is let go. The lock is held by another writer of the app (SQLite: the writer
queue; PostgreSQL: the instance's row lock), by another process's queue lock, or by a client of
the database file outside the app."""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from sqlalchemy import select

from app.models import ProcessInstance
from app.services.actor import SYSTEM
from app.services.identity import org
from app.web.factory import create_app
from tests.helpers import FORM_DATA, open_task, register
from tests.test_web import _csrf, login

pytestmark = pytest.mark.both_databases
GUARD_S = 30  # a request that hangs past this is a failure, not a wait


@pytest.fixture
def quick_app(settings, db):
    """The app with a 1 s lock timeout."""
    application = create_app(dataclasses.replace(settings, lock_timeout_s=1))
    application.config.update(TESTING=True)
    yield application
    application.extensions["huajie.db"].dispose()


@contextmanager
def _held_by_the_app(app, instance_id: int) -> Iterator[None]:
    """Another request's write transaction, holding the instance, until the block ends."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with app.extensions["huajie.db"].write() as session:
            session.execute(
                select(ProcessInstance.id)
                .where(ProcessInstance.id == instance_id)
                .with_for_update()
            )
            held.set()
            release.wait(GUARD_S * 2)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(GUARD_S)
        yield
    finally:
        release.set()
        holder.join(GUARD_S)


def _answered(call: Callable[[], object]) -> object:
    """The answer of ``call`` (run on a thread), or a failure if it hangs."""
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    worker.start()
    worker.join(GUARD_S)
    assert result, f"no answer within {GUARD_S} s: the writer waits without end"
    return result[0]


def _token(db, username: str) -> dict[str, str]:
    with db.write() as session:
        return {"Authorization": f"Bearer {org.create_token(session, SYSTEM, username)}"}


def _check_writer_refused_and_reader_answered(
    client, db, instance_id: int, holding: Callable[[], AbstractContextManager[None]]
) -> None:
    task = open_task(db, instance_id)
    auth = _token(db, "center")
    body = {"data": FORM_DATA["register_materials"]}
    with holding():
        refused = _answered(
            lambda: client.post(f"/api/v1/tasks/{task.id}/complete", json=body, headers=auth)
        )
        read = _answered(lambda: client.get(f"/api/v1/instances/{instance_id}", headers=auth))
        assert refused.status_code == 503, refused.get_data(as_text=True)
        assert int(refused.headers["Retry-After"]) > 0
        assert "请稍后重试" in refused.get_json()["error"]
        assert read.status_code == 200
        assert read.get_json()["tasks"][0]["status"] == "open"  # nothing was written
    again = client.post(f"/api/v1/tasks/{task.id}/complete", json=body, headers=auth)
    assert again.status_code == 200, again.get_json()


def test_a_writer_behind_a_held_lock_gets_503_and_a_reader_is_answered(quick_app, db):
    instance_id = register(db)
    _check_writer_refused_and_reader_answered(
        quick_app.test_client(), db, instance_id, lambda: _held_by_the_app(quick_app, instance_id)
    )


def test_the_web_page_answers_503_in_chinese_while_reading_goes_on(quick_app, db):
    instance_id = register(db)
    task = open_task(db, instance_id)
    client = quick_app.test_client()
    login(client, "center")
    form = {**FORM_DATA["register_materials"], "csrf_token": _csrf(client, f"/tasks/{task.id}")}
    with _held_by_the_app(quick_app, instance_id):
        refused = _answered(lambda: client.post(f"/tasks/{task.id}", data=form))
        page = _answered(lambda: client.get(f"/instances/{instance_id}"))
    assert refused.status_code == 503 and "Retry-After" in refused.headers
    assert "系统正忙" in refused.get_data(as_text=True)
    assert page.status_code == 200


@pytest.mark.sqlite_only
def test_a_lock_held_by_another_process_or_client_gives_503_too(quick_app, db, settings):
    """Another worker process holding the queue's file lock, and a client of the database file
    that bypasses the queue (``BEGIN IMMEDIATE`` of its own): both a 503 within the timeout."""
    path = settings.data_dir / "huajie.sqlite3"

    @contextmanager
    def held_by_another_process() -> Iterator[None]:
        holder = subprocess.Popen(
            [sys.executable, "-c", _HOLD_FILE_LOCK, f"{path}-writer.lock"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
            yield
        finally:
            holder.communicate("", timeout=GUARD_S)  # its stdin closes: it lets go and ends

    @contextmanager
    def held_by_a_client() -> Iterator[None]:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()

    client = quick_app.test_client()
    _check_writer_refused_and_reader_answered(client, db, register(db), held_by_another_process)
    second = register(db, court_case_no="（2026）苏0813行诉前13号")
    _check_writer_refused_and_reader_answered(client, db, second, held_by_a_client)


_HOLD_FILE_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""
