"""``--only big``: the inbox and a timer pass with 100,000 open tasks and waiting timers."""

from __future__ import annotations

import math
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from benchkit.stats import percentile
from sqlalchemy import insert, select

from app import clock
from app.db import Database
from app.models import ProcessInstance, TaskRecord, Timer
from app.services.actor import Actor
from app.services.execution import timer_pass
from app.services.reporting import inbox as inbox_tools
from app.services.reporting import queries
from quickbench.common import FIXED_NOW, FORM_FILE, LANE, TIMER, Sizes, log
from quickbench.service import service_start
from quickbench.workspace import Workspace, actor_for, definition_ids

BIG = 100_000


def _set_clock(moment: datetime) -> None:
    os.environ["HUAJIE_NOW"] = moment.isoformat()


def _due_timer_rounds(db: Database, def_id: int, actor: Actor, rounds: int) -> list[list[int]]:
    """``rounds`` groups of 10 real instances whose deadline falls due a week apart."""
    groups = []
    first = datetime.fromisoformat(FIXED_NOW).date()
    for r in range(rounds):  # started (and so received) a week apart: due a week apart
        _set_clock(datetime.combine(first + timedelta(days=7 * (r + 1)), datetime.min.time(),
                                    clock.SHANGHAI).replace(hour=10))  # fmt: skip
        groups.append([service_start(db, actor, def_id, {"due": ""}) for _ in range(10)])
    _set_clock(datetime.fromisoformat(FIXED_NOW))
    return groups


def _sqlite_time(moment: datetime) -> str:
    """A UTC time as SQLAlchemy stores it in SQLite (what ``UTCDateTime`` would bind)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _insert_many(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """Core ``insert()`` compiled once and run as one driver executemany (no per-value
    type processing, which would cost more than SQLite itself)."""
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(rows[0]))
    names = compiled.positiontup
    defaults = {n: _column_default(table, n) for n in names if n not in rows[0]}
    conn.exec_driver_sql(
        str(compiled), [tuple(row.get(n, defaults.get(n)) for n in names) for row in rows]
    )


def _column_default(table: Any, name: str) -> Any:
    """A column's scalar Python-side default (columns added later than this benchmark)."""
    default = table.c[name].default
    return default.arg if default is not None and default.is_scalar else None


def _bulk_insert(
    db: Database, unit_id: int, def_id: int, state: str, tasks: int, waiting: int
) -> None:
    """Synthetic open tasks of the unit, each with a waiting timer due after 2027.

    Ids far above the real rows. A synthetic instance holds 100 of them (neither the inbox
    nor a timer pass reads instances that are not due) and a copy of a real instance's
    ``state``, so that a query dragging instance rows along pays what it would in production.
    """
    base = 10_000_000
    per_instance = 100
    now = _sqlite_time(datetime.fromisoformat(FIXED_NOW))
    far = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    due = [_sqlite_time(far + timedelta(minutes=(i * 7919) % 1_000_000)) for i in range(tasks)]
    with db.write() as session:
        conn = session.connection()
        instances = [
            dict(id=base + i, definition_id=def_id, process_id=TIMER, unit_id=unit_id,
                 status="running", state=state, started_at=now, started_by="bench",
                 lock_version=1)
            for i in range(math.ceil(tasks / per_instance))
        ]  # fmt: skip
        _insert_many(conn, ProcessInstance.__table__, instances)
        task_rows = [
            dict(id=base + i, instance_id=base + i // per_instance,
                 process_id=TIMER, spiff_task_id=f"bench-task-{i}", bpmn_id="work", name="办理",
                 lane=LANE,
                 unit_id=unit_id, form=FORM_FILE, status="open", created_at=now,
                 due_at=due[i], due_rule="", provisional=0)
            for i in range(tasks)
        ]  # fmt: skip
        _insert_many(conn, TaskRecord.__table__, task_rows)
        timer_rows = [
            dict(id=base + i, instance_id=base + i // per_instance,
                 spiff_task_id=f"bench-timer-{i}", bpmn_id="deadline", name="期限",
                 task_record_id=base + i, due_at=due[i], provisional=0, explanation="",
                 status="waiting")
            for i in range(waiting)
        ]  # fmt: skip
        _insert_many(conn, Timer.__table__, timer_rows)


def _inbox_tools_100k(db: Database, actor: Actor) -> tuple[list[float], list[float]]:
    """The inbox page's first 20 pages (each after the last) and its counts, timed."""
    pages: list[float] = []
    for _ in range(2):  # the first walk compiles the statements
        pages.clear()
        after = ""
        for _ in range(20):
            t = time.perf_counter()
            with db.read() as session:
                found = inbox_tools.page(session, actor, inbox_tools.InboxFilter(after=after))
            pages.append(time.perf_counter() - t)
            assert len(found.rows) == 50 and found.next_after
            after = found.next_after
    counts = []
    for _ in range(4):
        t = time.perf_counter()
        with db.read() as session:
            total = inbox_tools.counts(session, actor).total
        counts.append(time.perf_counter() - t)
        assert total == min(BIG, inbox_tools.COUNT_LIMIT), total  # a count stops at "1000+"
    log(f"100k: inbox pages p95 {1000 * percentile(pages, 95):.1f} ms, "
        f"counts {1000 * statistics.median(counts):.0f} ms")  # fmt: skip
    return pages, counts


def bench_100k(ws: Workspace, sizes: Sizes) -> dict[str, Any]:
    """Inbox p95 with 100,000 open tasks in the unit; timer passes firing 10 of 100,000 waiting.

    The 10 due timers of each pass belong to real instances (started through the service), so
    the pass loads and advances them; the other waiting timers are synthetic rows due after
    2027. The product clock is moved past each group's deadline in turn.
    """
    _, db = ws.database("big")
    def_id = definition_ids(db)[TIMER]
    actor = actor_for(db)
    groups = _due_timer_rounds(db, def_id, actor, sizes.timer_rounds)
    real = sum(len(g) for g in groups)
    with db.read() as session:
        state = session.scalar(
            select(ProcessInstance.state).where(ProcessInstance.id == groups[0][0])
        )
    t = time.perf_counter()
    _bulk_insert(db, actor.unit_id or 0, def_id, state or "{}", BIG - real, BIG - real)
    log(f"100k: bulk insert {time.perf_counter() - t:.1f} s")
    with db.read() as session:
        open_tasks = len(
            session.scalars(
                select(TaskRecord.id).where(
                    TaskRecord.unit_id == actor.unit_id, TaskRecord.status == "open"
                )
            ).all()
        )
        dues = [
            max(session.scalars(select(Timer.due_at).where(Timer.instance_id.in_(g))))
            for g in groups
        ]
    assert open_tasks == BIG, open_tasks

    def inbox_call() -> float:
        t = time.perf_counter()
        with db.read() as session:
            rows = queries.inbox(session, actor)
        assert len(rows) == 200
        return time.perf_counter() - t

    for _ in range(3):
        inbox_call()
    inbox: list[float] = []
    budget = time.perf_counter() + sizes.inbox_budget_s
    while len(inbox) < sizes.inbox_calls and (len(inbox) < 10 or time.perf_counter() < budget):
        inbox.append(inbox_call())
    p50, p95 = 1000 * percentile(inbox, 50), 1000 * percentile(inbox, 95)
    log(f"100k: inbox p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    pages, counts = _inbox_tools_100k(db, actor)

    passes = []
    for due in dues:
        _set_clock(due + timedelta(minutes=1))
        t = time.perf_counter()
        report = timer_pass.run_pass(db)
        passes.append(time.perf_counter() - t)
        assert report.fired == 10 and report.instances == 10, report
    os.environ["HUAJIE_NOW"] = FIXED_NOW
    db.dispose()
    log(f"100k: timer passes {', '.join(f'{1000 * p:.0f}' for p in passes)} ms")
    return {
        "inbox_p95_ms_100k": p95,
        "inbox_p50_ms_100k": p50,
        "inbox_calls": len(inbox),
        "inbox_page_p95_ms_100k": 1000 * percentile(pages, 95),
        "inbox_counts_ms_100k": 1000 * statistics.median(counts),
        "timer_pass_ms_due10_of_100k": 1000 * statistics.median(passes),
        "timer_pass_ms_max": 1000 * max(passes),
    }
