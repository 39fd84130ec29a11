"""``huajie archive run``: finished instances past the retention period move to the archive.

What moves: an instance that was completed or cancelled (已办结, 已撤销) before the cut-off, with
every row that belongs to it (``archive_store.MOVED``: its tasks, timers, reminders, documents,
attachment rows, comments …; the attachment files stay where they are). An instance of a case
moves only with the case's whole tree (the case, its court messages and every instance of it),
and only when every one of those instances is finished before the cut-off: what an auditor reads
together is never split. Audit events never move, so the chain stays whole where it was.

Each batch is one transaction that copies the rows into the archive, deletes them from the main
tables (only rows the archive now holds) and records one audit event per instance and per case.
On SQLite the archive is another file, and a commit is atomic across files only without WAL: the
copy is committed first, on its own, so a crash between the two leaves a row in both places (read
from the main tables, and moved by the next run), never in neither. A second run finds nothing
left to move. Statistics are not touched: ``stat_counts`` counted these facts when they happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, delete, exists, func, insert, or_, select
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from app import clock
from app.config import ARCHIVE_AFTER_YEARS
from app.db import Database
from app.errors import InvalidInput
from app.models import Case, ProcessInstance
from app.models.states import InstanceStatus
from app.services import district_settings
from app.services.actor import Actor
from app.services.identity.permissions import Action, require
from app.services.records import audit
from app.services.records.archive_store import MOVED, TABLES, ensure, main_table
from app.services.uow import unit_of_work

BATCH = 200  # instances (or cases) per transaction: memory and lock time stay bounded
FINISHED = (InstanceStatus.COMPLETED, InstanceStatus.CANCELLED)
# tables whose rows belong to a task rather than directly to an instance
_BY_TASK = {"task_drafts": "task_id", "notifications": "task_record_id",
            "ladder_steps": "task_record_id"}  # fmt: skip
_BY_CASE = {"court_messages": "case_id", "cases": "id"}


@dataclass
class Batch:
    instances: list[int] = field(default_factory=list)
    cases: list[int] = field(default_factory=list)


@dataclass
class ArchiveReport:
    cutoff: date  # instances that ended before this day (Shanghai) were eligible
    dry_run: bool
    instances: int = 0
    cases: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows moved (none: dry run)


def cutoff_day(session: Session, before: date | None) -> date:
    """The day before which instances must have ended: the retention setting's, or ``before``
    when that is earlier. Refused while the setting is 0 (archiving is off)."""
    years = district_settings.get(session, ARCHIVE_AFTER_YEARS)
    if years <= 0:
        message = "未启用归档：请先设置办结流程归档年限（archive_after_years）"
        raise InvalidInput(message, {"archive_after_years": [message]})
    today = clock.to_local(clock.now()).date()
    try:
        retained = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        retained = today.replace(year=today.year - years, day=28)
    if before is None or before >= retained:
        return retained
    return before


def _moment(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), clock.SHANGHAI).astimezone(clock.UTC)


def _eligible(cutoff: datetime) -> ColumnElement[bool]:
    return and_(ProcessInstance.status.in_(FINISHED), ProcessInstance.ended_at < cutoff)


def _case_old_enough(cutoff_on: date) -> tuple[ColumnElement[bool], ...]:
    """A case registered, and judged if it was, before the cut-off (statistics such as a unit's
    losses of the last three years read its case row)."""
    day = cutoff_on.isoformat()
    return (
        Case.created_at < _moment(cutoff_on),
        or_(Case.outcome_on.is_(None), Case.outcome_on < day),
    )


def _newest_owners(session: Session) -> tuple[set[int], set[int]]:
    """The instances and cases owning the newest row of a moved table: kept on SQLite, which
    numbers a new row one past the largest id left in its table, so moving the newest row
    would hand its id out again (PostgreSQL's sequences never do)."""
    if session.get_bind().dialect.name != "sqlite":
        return set(), set()
    instances: set[int] = set()
    cases: set[int] = set()
    tasks = main_table("tasks")
    for name in MOVED:
        table = main_table(name)
        newest = select(table.c.id).order_by(table.c.id.desc()).limit(1).scalar_subquery()
        if name in _BY_CASE:
            owner = select(table.c[_BY_CASE[name]]).where(table.c.id == newest)
            found, into = session.scalar(owner), cases
        elif name in _BY_TASK:
            task_id = select(table.c[_BY_TASK[name]]).where(table.c.id == newest)
            owner = select(tasks.c.instance_id).where(tasks.c.id == task_id.scalar_subquery())
            found, into = session.scalar(owner), instances
        elif name == "process_instances":
            found, into = session.scalar(select(newest)), instances
        else:
            owner = select(table.c.instance_id).where(table.c.id == newest)
            found, into = session.scalar(owner), instances
        if found is not None:
            into.add(found)
    return instances, cases


@dataclass(frozen=True)
class Position:
    """Where the search for batches goes on: standalone instances, then cases, by id."""

    cases: bool = False
    after: int = 0


def next_batch(
    session: Session, cutoff_on: date, position: Position, size: int = BATCH
) -> tuple[Batch, Position] | None:
    """The next batch that may move, from ``position`` on, and where to go on from it."""
    cutoff = _moment(cutoff_on)
    kept_instances, kept_cases = _newest_owners(session)
    while not position.cases:
        ids = list(
            session.scalars(
                select(ProcessInstance.id)
                .where(ProcessInstance.case_id.is_(None), _eligible(cutoff))
                .where(ProcessInstance.id > position.after)
                .order_by(ProcessInstance.id)
                .limit(size)
            )
        )
        position = Position(False, ids[-1]) if ids else Position(True, 0)
        chosen = [i for i in ids if i not in kept_instances]
        if chosen:
            return Batch(instances=chosen), position
    kept_cases.update(
        c for c in session.scalars(
            select(ProcessInstance.case_id).where(ProcessInstance.id.in_(kept_instances))
        ) if c is not None
    )  # fmt: skip
    ready = when((_eligible(cutoff), 1), else_=0)
    while True:
        case_ids = list(
            session.scalars(
                select(Case.id)
                .where(Case.id > position.after, *_case_old_enough(cutoff_on))
                .order_by(Case.id)
                .limit(size)
            )
        )
        if not case_ids:
            return None
        position = Position(True, case_ids[-1])
        whole = (
            select(ProcessInstance.case_id)
            .where(ProcessInstance.case_id.in_(case_ids))
            .group_by(ProcessInstance.case_id)
            .having(func.count() == func.sum(ready))
        )
        chosen = sorted(c for c in session.scalars(whole) if c is not None and c not in kept_cases)
        if chosen:
            members = select(ProcessInstance.id).where(ProcessInstance.case_id.in_(chosen))
            instances = list(session.scalars(members.order_by(ProcessInstance.id)))
            return Batch(instances=instances, cases=chosen), position


def _belongs(name: str, batch: Batch) -> ColumnElement[bool]:
    """The rows of main table ``name`` that belong to the batch."""
    table = main_table(name)
    if name in _BY_CASE:
        return table.c[_BY_CASE[name]].in_(batch.cases)
    if name == "process_instances":
        return table.c.id.in_(batch.instances)
    if name in _BY_TASK:
        tasks = main_table("tasks")
        task_ids = select(tasks.c.id).where(tasks.c.instance_id.in_(batch.instances))
        return table.c[_BY_TASK[name]].in_(task_ids)
    return table.c.instance_id.in_(batch.instances)


def _in_archive(name: str) -> ColumnElement[bool]:
    archived = TABLES[name].alias("archived")  # same name as the main table: kept apart
    return exists().where(archived.c.id == main_table(name).c.id)


def copy(session: Session, batch: Batch) -> dict[str, int]:
    """Into the archive, the batch's rows it does not hold yet; how many of each table."""
    ensure(session.connection())
    copied = {}
    for name in MOVED:
        table, archived = main_table(name), TABLES[name]
        names = [c.name for c in table.columns]
        rows = select(*(table.c[n] for n in names)).where(_belongs(name, batch), ~_in_archive(name))
        result = session.execute(insert(archived).from_select(names, rows))
        copied[name] = cast(CursorResult[Any], result).rowcount or 0
    return copied


@unit_of_work
def move(session: Session, actor: Actor, batch: Batch) -> dict[str, int]:
    """Copy the batch into the archive and delete from the main tables what the archive holds:
    one transaction, with an audit event for each instance and case; rows moved per table."""
    require(actor.role, Action.ARCHIVE)
    copy(session, batch)
    instances = session.execute(
        select(
            ProcessInstance.id, ProcessInstance.case_id, ProcessInstance.process_id,
            ProcessInstance.status, ProcessInstance.ended_at,
        ).where(ProcessInstance.id.in_(batch.instances))
    ).all()  # fmt: skip
    cases = session.execute(select(Case.id, Case.case_no).where(Case.id.in_(batch.cases))).all()
    moved = {}
    for name in MOVED:  # children first
        table = main_table(name)
        result = session.execute(delete(table).where(_belongs(name, batch), _in_archive(name)))
        moved[name] = cast(CursorResult[Any], result).rowcount or 0
    for row in instances:
        audit.record(
            session, actor, "instance.archive", instance_id=row.id, case_id=row.case_id,
            process_id=row.process_id, status=row.status, ended_at=row.ended_at,
        )  # fmt: skip
    for case_id, case_no in cases:
        audit.record(session, actor, "case.archive", case_id=case_id, case_no=case_no)
    return moved


def run(
    db: Database, actor: Actor, before: date | None = None, *, dry_run: bool = False,
    size: int = BATCH,
) -> ArchiveReport:  # fmt: skip
    """Move (or, ``dry_run``, count) everything past the retention period, batch by batch."""
    require(actor.role, Action.ARCHIVE)
    with db.read() as session:
        report = ArchiveReport(cutoff_day(session, before), dry_run)
    position = Position()
    while True:
        with db.read() as session:
            found = next_batch(session, report.cutoff, position, size)
        if found is None:
            return report
        batch, position = found
        report.instances += len(batch.instances)
        report.cases += len(batch.cases)
        if dry_run:
            continue
        if db.is_sqlite:  # the copy is durable before the main tables lose anything
            with db.write() as session:
                copy(session, batch)
        for name, n in move(db, actor, batch).items():
            report.rows[name] = report.rows.get(name, 0) + n
