"""Measuring the volume: the operations (a completion, ``audit verify``, backup and restore)
around the page walk (``pagewalk``: every page and API list through the production server).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

from benchkit.stats import percentile
from sqlalchemy import func, select

from app.db import Database
from app.models import ProcessInstance, TaskRecord, User
from app.models.states import InstanceStatus, TaskStatus
from app.services.actor import Actor
from app.services.court import cases
from app.services.execution import completion, timer_pass
from tests.helpers import FORM_DATA as MEDIATION_DATA

ROOT = Path(__file__).resolve().parents[2]
HUAJIE = ROOT / ".venv" / "bin" / "huajie"


def completion_ms(db: Database, count: int, tag: str) -> dict[str, float]:
    """Registering a case and completing its mediation's first steps through the services:
    each completion's time (the write path a page's POST takes)."""
    with db.read() as session:
        center = Actor.of(session.scalars(select(User).where(User.username == "center")).one())
    times = []
    for n in range(count):
        registered = cases.register(db, center, {
            "court_case_no": f"（2026）苏0829行初{tag}{n:03d}号", "plaintiff": "张某某",
            "agency_unit": "GTZY", "subject": "行政处罚", "claims": "撤销",
            "court": "洪泽区人民法院",
        })  # fmt: skip
        for _ in range(2):
            with db.read() as session:
                task = session.scalars(
                    select(TaskRecord).where(
                        TaskRecord.case_id == registered.case.id,
                        TaskRecord.status == TaskStatus.OPEN,
                    )
                ).first()
            if task is None or task.bpmn_id not in MEDIATION_DATA or task.unit_id != center.unit_id:
                break
            started = time.perf_counter()
            with db.write() as session:
                data = dict(MEDIATION_DATA[task.bpmn_id])
                completion.complete_task(session, center, task.id, data, {}, Path(os.devnull))
            times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1),
            "count": len(times)}  # fmt: skip


def timed(command: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run([str(HUAJIE), *command], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=1800)  # fmt: skip
    return {
        "s": round(time.perf_counter() - started, 2),
        "ok": done.returncode == 0,
        "said": (done.stdout.strip() or done.stderr.strip()).splitlines()[-1:],
        "load_1m": load_average(),
    }


def load_average() -> float:
    """The one-minute load average (the other engineers' work on a shared machine shows)."""
    return round(os.getloadavg()[0], 1)


def catch_up(db: Database) -> dict[str, Any]:
    """Timer passes on the real clock until nothing is due (the server's first pass would do
    it while the pages are measured)."""
    fixed = os.environ.pop("HUAJIE_NOW", None)
    started = time.perf_counter()
    fired = reminders = 0
    try:
        for _ in range(1000):
            report = timer_pass.run_pass(db)
            fired, reminders = fired + report.fired, reminders + report.reminders
            if not report.fired and not report.reminders:
                break
    finally:
        if fixed is not None:
            os.environ["HUAJIE_NOW"] = fixed
    return {"s": round(time.perf_counter() - started, 1), "timers": fired, "reminders": reminders}


def running_count(db: Database) -> int:
    with db.read() as session:
        return (
            session.scalar(
                select(func.count(ProcessInstance.id)).where(
                    ProcessInstance.status == InstanceStatus.RUNNING
                )
            )
            or 0
        )
