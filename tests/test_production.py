"""PostgreSQL in production: ``huajie init`` on an empty database, ``huajie serve --workers 2``
(granian) whose two processes' schedulers both catch up after an outage and fire each missed
timer once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.cli import main
from app.config import Settings
from app.db import Database
from app.models import AuditEvent, ProcessDefinition, Timer
from app.services.records import audit
from tests.helpers import register, step
from tests.postgres import Server

ROOT = Path(__file__).resolve().parent.parent
HUAJIE = Path(sys.executable).with_name("huajie")


@pytest.fixture
def empty_postgres(
    postgres_server: Server, tmp_path: Path, clock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    name = postgres_server.create_empty()
    url = postgres_server.url_for(name)
    monkeypatch.setenv("HUAJIE_DATA", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    postgres_server.drop(name)


def _init(*args: str) -> str:
    result = CliRunner().invoke(main, ["init", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_init_creates_the_schema_and_deploys_on_an_empty_postgresql(empty_postgres):
    first = _init("--demo")
    assert "已部署流程 pre_litigation_mediation v1" in first
    assert "center" in first  # the demo users
    again = _init()  # upgrading an up-to-date schema; unchanged diagrams keep their version
    assert "pre_litigation_mediation v1" in again and " v2" not in again
    db = Database.open(Settings.from_env())
    with db.read() as session:
        versions = session.scalars(select(ProcessDefinition.version)).all()
    db.dispose()
    assert versions and set(versions) == {1}


def test_append_only_audit_trigger_holds_on_postgresql(empty_postgres):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    _init("--demo")
    db = Database.open(Settings.from_env())
    for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), db.write() as session:
            session.execute(text(statement))
    with db.read() as session:
        assert audit.verify(session).ok
    db.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_server_processes_fire_each_missed_timer_once(empty_postgres, clock, tmp_path):
    _init("--demo")
    db = Database.open(Settings.from_env())
    instances = [register(db, court_case_no=f"（2026）苏0813行诉前{n}号") for n in range(6)]
    for instance_id in instances:
        step(db, instance_id, "center", "register_materials")
    clock.set("2026-10-12T08:30:00+08:00")  # the server was down over the deadlines
    port = _free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [str(HUAJIE), "serve", "--workers", "2", "--port", str(port)],
            cwd=ROOT, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        while _fired(db) < len(instances) and server.poll() is None:
            time.sleep(0.05)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=30) as response:
            assert response.status == 200
        started = time.monotonic()  # both workers run (one may still be starting under load)
        while log.read_text().count("Started worker-") < 2 and time.monotonic() - started < 60:
            time.sleep(0.1)
        assert log.read_text().count("Started worker-") == 2
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    with db.read() as session:
        fired = Counter(
            session.scalars(
                select(AuditEvent.instance_id).where(AuditEvent.action == "timer.fired")
            )
        )
        missed = session.scalar(
            select(func.count()).where(AuditEvent.action == "timer.missed_during_outage")
        )
        statuses = Counter(session.scalars(select(Timer.status)))
        chain = audit.verify(session)
    db.dispose()
    assert fired == {i: 1 for i in instances}
    assert missed == len(instances)  # each reported once for the center, by one worker
    assert statuses == {"fired": len(instances)}
    assert chain.ok, chain


def _fired(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).where(Timer.status == "fired")) or 0
