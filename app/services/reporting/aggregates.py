"""What each fact counts in the statistics' aggregates (``stat_counts``), and rebuilding them.

===============  =========================================  ==================================
statistic        counts (key)                               dated by (Shanghai day)
===============  =========================================  ==================================
litigation       each defendant of a concluded court case   the outcome's date (``outcome_on``)
reconsideration  each organ a reconsideration decided about the decision's date
                 (``<lost>:<outcome>``, lost being ``lost``, ``kept``, or ``by_outcome``: lost
                 if the setting ``lost_outcomes`` names the outcome, decided when read)
deadline         completed tasks with a due date            the task's creation
                 (``met``/``late``, again ``local_…`` for 本地规则 deadlines)
mediation        mechanism 4's outcomes of completed        the instance's end
                 mediations (``agreement``/``termination``)
reason           completed review reports (category)        the report's completion
===============  =========================================  ==================================

A fact is counted in its day, its month and its year, for its unit and (except deadlines,
which are only ever read per unit) for all units together (``ALL_UNITS``): a period reads whole
years, then whole months, then days, so its cost grows with its length in years, not with the
facts. Open deadlines are not counted: whether one is late depends on the moment it is read.
``sync`` keeps the counts in step with every write of the facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from app import clock
from app.models import Case, ProcessInstance, StatCount, TaskRecord, Unit
from app.models.case import LITIGATION, RECONSIDERATION
from app.models.states import DeadlineState, InstanceStatus, TaskStatus

DEADLINE, MEDIATION, REASON = "deadline", "mediation", "reason"
CASE_KINDS = (LITIGATION, RECONSIDERATION)
LOST, KEPT, BY_OUTCOME = "lost", "kept", "by_outcome"
MEDIATION_PROCESS = "pre_litigation_mediation"
OUTCOME_TASK = "record_outcome"
REVIEW_TASK = "write_review"
MEDIATION_OUTCOMES = ("agreement", "termination")
UNCATEGORISED = "未分类"
NO_UNIT = 0  # a fact without a unit
ALL_UNITS = -1  # every unit together
GRAINS = ("y", "m", "d")  # YYYY, YYYY-MM, YYYY-MM-DD

# (statistic, YYYY-MM-DD, unit id, key) → how many facts. The functions that count one fact
# take a row of the columns it is counted by, or the ORM object itself.
Counts = Counter[tuple[str, str, int, str]]
_BATCH = 500

TASK_COLUMNS = (
    TaskRecord.id, TaskRecord.unit_id, TaskRecord.status, TaskRecord.created_at,
    TaskRecord.due_at, TaskRecord.completed_at, TaskRecord.due_basis, TaskRecord.bpmn_id,
)  # fmt: skip


def _day(moment: datetime) -> str:
    return clock.to_local(moment).date().isoformat()


def count_deadline(row: Any, counts: Counts) -> None:
    if row.status != TaskStatus.COMPLETED or row.unit_id is None:
        return
    if row.completed_at is None or row.due_at is None:
        return
    state = DeadlineState.MET if row.completed_at <= row.due_at else DeadlineState.LATE
    day = _day(row.created_at)
    counts[(DEADLINE, day, row.unit_id, str(state))] += 1
    if row.due_basis == "local":
        counts[(DEADLINE, day, row.unit_id, f"local_{state}")] += 1


def count_reason(row: Any, counts: Counts) -> None:
    if row.bpmn_id != REVIEW_TASK or row.status != TaskStatus.COMPLETED:
        return
    if row.completed_at is None:
        return
    category = (row.data or {}).get("reason_category") or UNCATEGORISED
    counts[(REASON, _day(row.completed_at), row.unit_id or NO_UNIT, str(category))] += 1


def count_mediation(row: Any, counts: Counts) -> None:
    outcome = (row.data or {}).get("outcome", "")
    if row.ended_at is not None and outcome in MEDIATION_OUTCOMES:
        counts[(MEDIATION, _day(row.ended_at), row.unit_id or NO_UNIT, outcome)] += 1


def mediation_rows(connection: Connection, *where: Any) -> Iterator[Any]:
    """Completed ``record_outcome`` tasks of completed mediations, with their instance."""
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


def parties(
    kind: str, agency_code: str, defendants: list[str] | None, losing: list[str] | None
) -> dict[str, str]:
    """Each defendant of a concluded case → LOST, KEPT or BY_OUTCOME (the agency sued, when
    the facts name no losing units: lost if the setting ``lost_outcomes`` names the outcome)."""
    sued = {str(code) for code in (defendants or [agency_code])}
    if kind == RECONSIDERATION:  # a decision names the organ it corrected, or none
        losing = losing or []
    if losing is not None:
        return {code: LOST if code in set(losing) else KEPT for code in sued}
    return {code: BY_OUTCOME if code == agency_code else KEPT for code in sued}


def case_rows(connection: Connection, *where: Any) -> Iterator[Any]:
    """Concluded cases with their agency's code."""
    query = (
        select(
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
    yield from connection.execute(query)


def count_case(row: Any, unit_ids: dict[str, int], counts: Counts) -> None:
    """Every defendant whose code names a unit (the services accept no other)."""
    if row.kind not in CASE_KINDS:
        return
    for code, lost in parties(row.kind, row.code, row.defendants, row.losing_units).items():
        if code in unit_ids:
            counts[(row.kind, row.outcome_on, unit_ids[code], f"{lost}:{row.outcome}")] += 1


def unit_ids(connection: Connection) -> dict[str, int]:
    return {code: id_ for code, id_ in connection.execute(select(Unit.code, Unit.id))}


def chunks(items: Iterable[Any], size: int = _BATCH) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def add(connection: Connection, counts: Counts, *, empty: bool = False) -> None:
    """Add ``counts`` (negative ones too) to their rows: each grain, the unit and all units.
    Into an ``empty`` table (a rebuild) by plain inserts."""
    merged: Counter[tuple[str, str, str, int, str]] = Counter()
    for (statistic, day, unit_id, key), n in counts.items():
        if not n:
            continue
        units = (unit_id,) if statistic == DEADLINE else (unit_id, ALL_UNITS)
        for unit in units:
            merged[(statistic, "d", day, unit, key)] += n
            merged[(statistic, "m", day[:7], unit, key)] += n
            merged[(statistic, "y", day[:4], unit, key)] += n
    columns = ("statistic", "grain", "span", "unit_id", "key")
    rows = [dict(zip(columns, k, strict=True)) | {"n": n} for k, n in sorted(merged.items()) if n]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    for batch in chunks(rows):
        if empty:
            connection.execute(insert(StatCount), batch)
            continue
        statement = dialect.insert(StatCount).values(batch)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(columns), set_={"n": StatCount.n + statement.excluded.n}
            )
        )


def facts(connection: Connection) -> Counts:
    """What every fact the connection reads counts."""
    counts: Counts = Counter()
    timed = select(*TASK_COLUMNS).where(
        TaskRecord.status == TaskStatus.COMPLETED, TaskRecord.due_at.is_not(None)
    )
    for task in connection.execute(timed.execution_options(yield_per=5000)):
        count_deadline(task, counts)
    reports = select(*TASK_COLUMNS, TaskRecord.data).where(TaskRecord.bpmn_id == REVIEW_TASK)
    for report in connection.execute(reports):
        count_reason(report, counts)
    for mediation in mediation_rows(connection):
        count_mediation(mediation, counts)
    units = unit_ids(connection)
    for case in case_rows(connection):
        count_case(case, units, counts)
    return counts


def rebuild(connection: Connection, archived: Counts | None = None) -> dict[str, int]:
    """Every count recomputed from the facts (and what the ``archived`` facts count); how many
    facts each statistic counts."""
    connection.execute(delete(StatCount))
    counts = facts(connection)
    counts.update(archived or Counter())
    add(connection, counts, empty=True)
    found: Counter[str] = Counter(dict.fromkeys((*CASE_KINDS, DEADLINE, MEDIATION, REASON), 0))
    for (statistic, _day, _unit, key), n in counts.items():
        if not key.startswith("local_"):
            found[statistic] += n
    return dict(found)
