"""Worker processes for the multi-process tests (``python -m tests.drivers KIND ...``).

They read the database from the environment like ``huajie`` does (``DATABASE_URL`` or
``HUAJIE_DATA``, ``HUAJIE_NOW`` in test mode).

* ``timers GATE OUT``: wait until the pipe whose read end is the descriptor GATE is closed
  (the test closes it once every worker is started, so all start at once), then run timer
  passes until one finds nothing due; write the totals as JSON to OUT.
* ``steps JOURNAL [HALT AFTER READY]``: complete every open mechanism-4 task (all first steps
  first), one transaction each, journaling ``begin ID`` before and ``done ID`` after each
  commit (fsynced), so a test that kills this process knows what it saw committed. Started
  again, it first resubmits every begun-but-not-done step, then carries on. With HALT, the
  step after AFTER done ones stops where a crash is to come — ``before_commit`` (its
  transaction open) or ``after_commit`` (committed, not yet journaled ``done``) — writes one
  byte to the descriptor READY and waits to be killed.
* ``step TASK_ID``: complete that one open mechanism-4 task as its lane's worker, and exit.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.errors import Conflict
from app.models import TaskRecord
from app.services.execution import completion, timer_pass
from tests.helpers import FORM_DATA, actor

WORKER = {"agency_reply": "gtzy"}  # every other mechanism-4 step is the center's


def run_timers(gate: int, out: Path) -> None:
    db = Database.open(Settings.from_env())
    while os.read(gate, 1):  # start together, so the passes really overlap: at end of file
        pass
    totals = {"passes": 0, "fired": 0, "instances": 0, "conflicts": 0, "skipped": 0}
    while True:
        report = timer_pass.run_pass(db)
        totals["passes"] += 1
        for key in ("fired", "instances", "conflicts", "skipped"):
            totals[key] += getattr(report, key)
        if report.instances == 0 and report.skipped == 0:
            break
    db.dispose()
    out.write_text(json.dumps(totals))


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        lines = path.read_text().split("\n") if path.exists() else []
        self.begun = [int(line.split()[1]) for line in lines if line.startswith("begin ")]
        self.done = {int(line.split()[1]) for line in lines if line.startswith("done ")}
        self._file = path.open("a")

    def write(self, line: str) -> None:
        self._file.write(line + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())


@dataclass(frozen=True)
class Halt:
    """Where the step after ``after`` done ones stops to be killed (see the module's doc)."""

    where: str = ""  # before_commit / after_commit; "" never
    after: int = 0
    ready: int = -1

    def here(self, where: str, journal: Journal) -> None:
        if self.where == where and len(journal.done) == self.after:
            os.write(self.ready, b"!")
            while True:
                signal.pause()


def _complete(
    db: Database, journal: Journal, task_id: int, bpmn_id: str, halt: Halt = Halt()
) -> None:
    journal.write(f"begin {task_id}")
    try:
        with db.write() as session:
            user = actor(db, WORKER.get(bpmn_id, "center"))
            completion.complete_task(session, user, task_id, FORM_DATA[bpmn_id])
            halt.here("before_commit", journal)
        halt.here("after_commit", journal)
    except Conflict:
        journal.write(f"conflict {task_id}")  # it had committed before the crash
        return
    journal.write(f"done {task_id}")
    journal.done.add(task_id)


def _next_open(db: Database) -> TaskRecord | None:
    with db.read() as session:
        return session.scalar(
            select(TaskRecord)
            .where(TaskRecord.status == "open", TaskRecord.bpmn_id.in_(FORM_DATA))
            .order_by((TaskRecord.bpmn_id != "register_materials"), TaskRecord.id)
            .limit(1)
        )


def run_steps(journal_path: Path, halt: Halt) -> None:
    db = Database.open(Settings.from_env())
    journal = Journal(journal_path)
    with db.read() as session:
        names = {i: b for i, b in session.execute(select(TaskRecord.id, TaskRecord.bpmn_id))}
    for task_id in journal.begun:
        if task_id not in journal.done:
            _complete(db, journal, task_id, names[task_id])
    while (task := _next_open(db)) is not None:
        _complete(db, journal, task.id, task.bpmn_id, halt)
    db.dispose()


def run_step(task_id: int) -> None:
    db = Database.open(Settings.from_env())
    with db.read() as session:
        bpmn_id = session.scalar(select(TaskRecord.bpmn_id).where(TaskRecord.id == task_id))
    assert bpmn_id is not None, task_id
    with db.write() as session:
        user = actor(db, WORKER.get(bpmn_id, "center"))
        completion.complete_task(session, user, task_id, FORM_DATA[bpmn_id])
    db.dispose()


if __name__ == "__main__":
    kind, *args = sys.argv[1:]
    if kind == "timers":
        run_timers(int(args[0]), Path(args[1]))
    elif kind == "steps":
        halt = Halt(args[1], int(args[2]), int(args[3])) if len(args) > 1 else Halt()
        run_steps(Path(args[0]), halt)
    elif kind == "step":
        run_step(int(args[0]))
    else:
        raise SystemExit(f"unknown driver {kind}")
