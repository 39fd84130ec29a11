"""The statistics' aggregates, changed in the same flush as the facts they count.

=============  ==========================================  =====================================
table / stat   counts                                      dated by (Shanghai day)
=============  ==========================================  =====================================
case_parties   each defendant of a concluded case or       the outcome's date (``outcome_on``)
               reconsideration (败诉率, 复议纠错率, trend)
deadline       completed tasks with a due date, met/late   the task's creation
               (``local_…`` again for 本地规则 deadlines)
mediation      mechanism 4's outcomes (agreement /         the instance's end
               termination) of completed mediations
reason         completed review reports by reason category  the report's completion
=============  ==========================================  =====================================

Before a flush that touches a case, a task or a mediation instance, what those facts count is
read from the database; after it, what they count now; the difference is added to
``stat_counts`` (an upsert, so concurrent writers add up). A case's parties are replaced whole.
Open deadlines are not counted here: whether one is late depends on the moment it is read.
The step's own Core writes (``execution.row_writes``: no flush sees them) call ``counting``
and ``count_inserted``. Other writers that bypass the ORM (bulk SQL) must run ``huajie stats
rebuild`` afterwards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Row, delete, event, insert, select
from sqlalchemy import inspect as inspect_object
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app import clock
from app.models import Case, CaseParty, ProcessInstance, StatCount, TaskRecord, Unit
from app.models.case import RECONSIDERATION
from app.models.states import DeadlineState, InstanceStatus, TaskStatus

DEADLINE, MEDIATION, REASON = "deadline", "mediation", "reason"
MEDIATION_PROCESS = "pre_litigation_mediation"
OUTCOME_TASK = "record_outcome"
REVIEW_TASK = "write_review"
MEDIATION_OUTCOMES = ("agreement", "termination")
UNCATEGORISED = "未分类"
NO_UNIT = 0

# (statistic, YYYY-MM-DD, unit id, key) → how many facts; the functions that count a fact take
# a row of the columns it is counted by or the ORM object itself
Counts = Counter[tuple[str, str, int, str]]
_PENDING = "aggregates.pending"
_BATCH = 500

_TASK_COLUMNS = (
    TaskRecord.id, TaskRecord.unit_id, TaskRecord.status, TaskRecord.created_at,
    TaskRecord.due_at, TaskRecord.completed_at, TaskRecord.due_basis, TaskRecord.bpmn_id,
)  # fmt: skip


def _day(moment: datetime) -> str:
    return clock.to_local(moment).date().isoformat()


def _deadline(row: Any, counts: Counts) -> None:
    if row.status != TaskStatus.COMPLETED or row.unit_id is None:
        return
    if row.completed_at is None or row.due_at is None:
        return
    state = DeadlineState.MET if row.completed_at <= row.due_at else DeadlineState.LATE
    day = _day(row.created_at)
    counts[(DEADLINE, day, row.unit_id, str(state))] += 1
    if row.due_basis == "local":
        counts[(DEADLINE, day, row.unit_id, f"local_{state}")] += 1


def _reason(row: Any, counts: Counts) -> None:
    if row.bpmn_id != REVIEW_TASK or row.status != TaskStatus.COMPLETED:
        return
    if row.completed_at is None:
        return
    category = (row.data or {}).get("reason_category") or UNCATEGORISED
    counts[(REASON, _day(row.completed_at), row.unit_id or NO_UNIT, str(category))] += 1


def _mediation(row: Any, counts: Counts) -> None:
    outcome = (row.data or {}).get("outcome", "")
    if row.ended_at is not None and outcome in MEDIATION_OUTCOMES:
        counts[(MEDIATION, _day(row.ended_at), row.unit_id or NO_UNIT, outcome)] += 1


def _mediation_rows(connection: Connection, *where: Any) -> Iterator[Row[Any]]:
    query = (
        select(ProcessInstance.unit_id, ProcessInstance.ended_at, TaskRecord.data)
        .join(TaskRecord, TaskRecord.instance_id == ProcessInstance.id)
        .where(
            ProcessInstance.process_id == MEDIATION_PROCESS,
            ProcessInstance.status == InstanceStatus.COMPLETED,
            TaskRecord.bpmn_id == OUTCOME_TASK,
            TaskRecord.status == TaskStatus.COMPLETED,
            *where,
        )
    )
    yield from connection.execute(query)


def _counted_now(connection: Connection, task_ids: set[int], instance_ids: set[int]) -> Counts:
    counts: Counts = Counter()
    for ids in _chunks(sorted(task_ids)):
        query = select(*_TASK_COLUMNS, TaskRecord.data).where(TaskRecord.id.in_(ids))
        for row in connection.execute(query):
            _deadline(row, counts)
            _reason(row, counts)
    for ids in _chunks(sorted(instance_ids)):
        for row in _mediation_rows(connection, ProcessInstance.id.in_(ids)):
            _mediation(row, counts)
    return counts


def parties(
    kind: str, agency_code: str, defendants: list[str] | None, losing: list[str] | None
) -> dict[str, bool | None]:
    """Each defendant of a concluded case → lost (True/False) or None: lost if the outcome is
    one the setting ``lost_outcomes`` names (the agency sued, when the facts name no losers)."""
    sued = {str(code) for code in (defendants or [agency_code])}
    if kind == RECONSIDERATION:  # a decision names the organ it corrected, or none
        return {code: code in set(losing or []) for code in sued}
    if losing is not None:
        return {code: code in set(losing) for code in sued}
    return {code: None if code == agency_code else False for code in sued}


def _party_rows(connection: Connection, *where: Any) -> Iterator[dict[str, Any]]:
    query = (
        select(
            Case.id,
            Case.kind,
            Case.outcome,
            Case.outcome_on,
            Case.defendants,
            Case.losing_units,
            Unit.code,
        )  # fmt: skip
        .join(Unit, Unit.id == Case.agency_unit_id)
        .where(Case.outcome.is_not(None), Case.outcome_on.is_not(None), *where)
    )
    for row in connection.execute(query):
        for code, lost in parties(row.kind, row.code, row.defendants, row.losing_units).items():
            yield {
                "case_id": row.id, "unit_code": code, "kind": row.kind, "outcome": row.outcome,
                "outcome_on": row.outcome_on, "lost": lost,
            }  # fmt: skip


def _chunks(items: Iterable[Any], size: int = _BATCH) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def add(connection: Connection, counts: Counts) -> None:
    """Add ``counts`` (negative ones too) to their day and month rows."""
    merged: Counter[tuple[str, str, str, int, str]] = Counter()
    for (statistic, day, unit_id, key), n in counts.items():
        if n:
            merged[(statistic, "d", day, unit_id, key)] += n
            merged[(statistic, "m", day[:7], unit_id, key)] += n
    columns = ("statistic", "grain", "span", "unit_id", "key")
    rows = [dict(zip(columns, k, strict=True)) | {"n": n} for k, n in sorted(merged.items()) if n]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    for batch in _chunks(rows):
        statement = dialect.insert(StatCount).values(batch)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(columns), set_={"n": StatCount.n + statement.excluded.n}
            )
        )


def _identity(obj: Any) -> int | None:
    """The row's id: known before a flush for stored rows, after it (not yet in the identity
    map while ``after_flush`` runs) for new ones too."""
    identity = inspect_object(obj).identity
    return identity[0] if identity else obj.__dict__.get("id")


class _Touched:
    """The facts a flush changes that some statistic counts."""

    def __init__(self, session: Session) -> None:
        self.tasks: list[TaskRecord] = []
        self.instances: list[ProcessInstance] = []
        self.cases: list[Case] = []
        self.mediations: set[int] = set()
        for obj in chain(session.new, session.dirty, session.deleted):
            if isinstance(obj, TaskRecord):
                self.tasks.append(obj)
                if obj.bpmn_id == OUTCOME_TASK and obj.instance_id is not None:
                    self.mediations.add(obj.instance_id)
            elif isinstance(obj, ProcessInstance) and obj.process_id == MEDIATION_PROCESS:
                self.instances.append(obj)
            elif isinstance(obj, Case):
                self.cases.append(obj)

    def empty(self) -> bool:
        return not (self.tasks or self.instances or self.cases)

    def task_ids(self) -> set[int]:
        return {i for i in map(_identity, self.tasks) if i is not None}

    def instance_ids(self) -> set[int]:
        found = {i for i in map(_identity, self.instances) if i is not None}
        return found | self.mediations

    def case_ids(self) -> set[int]:
        return {i for i in map(_identity, self.cases) if i is not None}


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    session.info.pop(_PENDING, None)
    with session.no_autoflush:
        touched = _Touched(session)
        if touched.empty():
            return
        before = _counted_now(session.connection(), touched.task_ids(), touched.instance_ids())
    session.info[_PENDING] = (touched, before)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    touched, before = pending
    connection = session.connection()
    after = _counted_now(connection, touched.task_ids(), touched.instance_ids())
    after.subtract(before)
    add(connection, after)
    case_ids = touched.case_ids()
    if case_ids:
        connection.execute(delete(CaseParty).where(CaseParty.case_id.in_(case_ids)))
        rows = list(_party_rows(connection, Case.id.in_(case_ids)))
        if rows:
            connection.execute(insert(CaseParty), rows)


@contextmanager
def counting(
    session: Session, task_ids: Iterable[int] = (), instance_ids: Iterable[int] = ()
) -> Iterator[None]:
    """Around a Core statement that changes these tasks or instances: what they count before
    and after it."""
    tasks, instances = set(task_ids), set(instance_ids)
    connection = session.connection()
    before = _counted_now(connection, tasks, instances)
    yield
    after = _counted_now(connection, tasks, instances)
    after.subtract(before)
    add(connection, after)


def count_inserted(session: Session, row: TaskRecord | ProcessInstance) -> None:
    """After a Core insert of ``row`` (values as inserted): what it adds."""
    counts: Counts = Counter()
    connection = session.connection()
    if isinstance(row, TaskRecord):
        _deadline(row, counts)
        _reason(row, counts)
        if row.bpmn_id == OUTCOME_TASK and row.status == TaskStatus.COMPLETED:
            for found in _mediation_rows(connection, TaskRecord.id == row.id):
                _mediation(found, counts)
    elif row.process_id == MEDIATION_PROCESS and row.status == InstanceStatus.COMPLETED:
        for found in _mediation_rows(connection, ProcessInstance.id == row.id):
            _mediation(found, counts)
    add(connection, counts)


def rebuild(connection: Connection) -> dict[str, int]:
    """Every aggregate recomputed from the facts; how many facts each statistic counts."""
    connection.execute(delete(StatCount))
    connection.execute(delete(CaseParty))
    counts: Counts = Counter()
    timed = select(*_TASK_COLUMNS).where(
        TaskRecord.status == TaskStatus.COMPLETED, TaskRecord.due_at.is_not(None)
    )
    for task in connection.execute(timed.execution_options(yield_per=5000)):
        _deadline(task, counts)
    reports = select(*_TASK_COLUMNS, TaskRecord.data).where(TaskRecord.bpmn_id == REVIEW_TASK)
    for report in connection.execute(reports):
        _reason(report, counts)
    for mediation in _mediation_rows(connection):
        _mediation(mediation, counts)
    add(connection, counts)
    found = Counter({"case_parties": 0})
    for batch in _chunks(_party_rows(connection)):
        connection.execute(insert(CaseParty), batch)
        found["case_parties"] += len(batch)
    for (statistic, _day, _unit, key), n in counts.items():
        if not key.startswith("local_"):
            found[statistic] += n
    return dict(found)
