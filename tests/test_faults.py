"""Several processes and a killed process: timers fire once, committed steps survive, none twice.

Each test runs real OS processes (``tests/drivers.py``) against one database, on SQLite and on
PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from select import POLLIN, poll

import pytest
from sqlalchemy import func, select, text

from app.clock import now as product_now
from app.db import Database
from app.models import AuditEvent, LadderStep, Reminder, TaskRecord, Timer
from app.scheduler import TimerScheduler
from app.services.records import audit
from tests.helpers import register, step

pytestmark = pytest.mark.both_databases
ROOT = Path(__file__).resolve().parent.parent
AFTER_DEADLINES = "2026-10-12T08:30:00+08:00"  # Monday, past the agency deadlines of 10-10


def _driver(*args: str, fds: tuple[int, ...] = ()) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.drivers", *args], cwd=ROOT, env=dict(os.environ),
        pass_fds=fds,
    )  # fmt: skip


def _events(db: Database, action: str) -> list[AuditEvent]:
    with db.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_four_processes_fire_each_due_timer_exactly_once(db, clock, tmp_path):
    instances = [register(db, court_case_no=f"（2026）苏0813行诉前{n}号") for n in range(12)]
    for instance_id in instances:
        step(db, instance_id, "center", "register_materials")
    clock.set(AFTER_DEADLINES)
    gate, open_gate = os.pipe()
    outs = [tmp_path / f"out{n}.json" for n in range(4)]
    workers = [_driver("timers", str(gate), str(out), fds=(gate,)) for out in outs]
    os.close(gate)
    os.close(open_gate)  # every worker reads the end of the pipe at once: they start together
    assert [w.wait(timeout=300) for w in workers] == [0, 0, 0, 0]

    totals = [json.loads(out.read_text()) for out in outs]
    assert sum(t["fired"] for t in totals) == 12
    assert sum(t["conflicts"] for t in totals) == 0  # writers queue; none surfaces an error
    with db.read() as session:
        statuses = Counter(session.scalars(select(Timer.status)))
        reminders = Counter(session.scalars(select(Reminder.instance_id)))
        steps = list(session.scalars(select(LadderStep).where(LadderStep.fired_at.is_not(None))))
        open_replies = session.scalar(
            select(func.count(TaskRecord.id)).where(
                TaskRecord.bpmn_id == "agency_reply", TaskRecord.status == "open"
            )
        )
        chain = audit.verify(session)
    assert statuses == {"fired": 12}
    assert reminders == {i: 2 for i in instances}  # 催办 to the center and the agency's head
    fired = Counter(e.instance_id for e in _events(db, "timer.fired"))
    assert fired == {i: 1 for i in instances}
    with db.read() as session:
        sent = session.scalars(select(AuditEvent).where(AuditEvent.action.like("ladder.%")))
        ladder_events = Counter((e.detail["task_id"], e.action) for e in sent)
    assert len(steps) == len(ladder_events) > 0 and set(ladder_events.values()) == {1}
    assert open_replies == 12  # the agency may still answer late
    assert chain.ok, chain


@pytest.mark.parametrize("crash", ["before_commit", "after_commit"])
def test_a_killed_writer_loses_no_committed_step_and_repeats_none(
    db, settings, clock, tmp_path, crash
):
    """The writer is killed in the eighth step (all first steps and a few more done): with its
    transaction still open, or committed but not yet journaled. Restarted, it redoes the first
    and is refused the second; no step is lost, none done twice."""
    instances = [register(db, court_case_no=f"（2026）苏0813行诉前{n}号") for n in range(5)]
    journal = tmp_path / "journal"
    halted, ready = os.pipe()
    writer = _driver("steps", str(journal), crash, "7", str(ready), fds=(ready,))
    os.close(ready)
    waiting = poll()
    waiting.register(halted, POLLIN)
    assert waiting.poll(300_000), "the writer never reached the crash point"
    assert os.read(halted, 1) == b"!", "the writer ended before the crash point"
    os.close(halted)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert writer.returncode == -signal.SIGKILL
    db.dispose()  # the app stops; what follows is the restart

    restarted = Database.open(settings)
    if restarted.is_sqlite:  # WAL recovery on open: the file is sound
        with restarted.read() as session:
            assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    begun, done = _journaled(journal, "begin"), _journaled(journal, "done")
    (in_flight,) = begun - done
    with restarted.read() as session:
        completed = set(session.scalars(select(TaskRecord.id).where(TaskRecord.status != "open")))
    assert len(done) == 7 and done <= completed  # every step the writer saw committed is there
    assert (in_flight in completed) == (crash == "after_commit")  # the open one left nothing

    clock.set(AFTER_DEADLINES)  # the app was down over the deadlines: the start-up pass
    with restarted.read() as session:
        waiting = session.scalar(
            select(func.count()).where(Timer.status == "waiting", Timer.due_at < product_now())
        )
    assert waiting > 0  # deadlines were running when it died, and fell due meanwhile
    scheduler = TimerScheduler(restarted)
    scheduler._started = product_now()
    scheduler._pass()
    scheduler._pass()
    fired = Counter(e.instance_id for e in _events(restarted, "timer.fired"))
    missed = _events(restarted, "timer.missed_during_outage")
    assert sum(fired.values()) == waiting and set(fired.values()) == {1}
    assert len(missed) == waiting

    again = _driver("steps", str(journal))  # the writer restarts and finishes the work
    assert again.wait(timeout=300) == 0
    with restarted.read() as session:
        still_open = session.scalar(
            select(func.count(TaskRecord.id)).where(
                TaskRecord.instance_id.in_(instances), TaskRecord.status == "open"
            )
        )
        chain = audit.verify(session)
    completions = Counter(e.detail["task_id"] for e in _events(restarted, "task.complete"))
    assert still_open == 0
    assert set(completions.values()) == {1}  # no step twice, the resubmitted one included
    resubmitted = "conflict" if crash == "after_commit" else "done"
    assert in_flight in _journaled(journal, resubmitted)
    assert len(completions) == 5 * 5  # register, reply, schedule, outcome, agreement
    assert chain.ok, chain
    restarted.dispose()


def _journaled(journal: Path, word: str) -> set[int]:
    lines = journal.read_text().split()
    return {int(n) for w, n in zip(lines[::2], lines[1::2], strict=True) if w == word}
