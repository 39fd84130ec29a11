"""The statistics' counts changed in the same transaction as the facts they count.

Before a flush that touches a case, a task or a mediation instance, what those facts count is
read from the database; after it, what they count now; the difference is added to
``stat_counts`` (an upsert, so concurrent writers add up; the facts' own row locks keep two
writers of one fact apart). The step's own Core writes, which no flush sees
(``execution.row_writes``), call ``counting`` and ``count_inserted``. Writers that bypass
both (bulk SQL) must run ``huajie stats rebuild`` afterwards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import chain
from typing import Any

from sqlalchemy import Connection, event, select
from sqlalchemy import inspect as inspect_object
from sqlalchemy.orm import Session

from app.models import Case, ProcessInstance, TaskRecord
from app.models.states import InstanceStatus, TaskStatus
from app.services.reporting import aggregates as agg

_PENDING = "aggregates.pending"


class Facts:
    """Ids of the facts to count: tasks, mediation instances, cases."""

    def __init__(
        self, tasks: Iterable[int] = (), instances: Iterable[int] = (), cases: Iterable[int] = ()
    ) -> None:
        self.tasks, self.instances, self.cases = set(tasks), set(instances), set(cases)

    def counted(self, connection: Connection) -> agg.Counts:
        """What these facts count, as the database has them now."""
        counts: agg.Counts = Counter()
        for ids in agg.chunks(sorted(self.tasks)):
            query = select(*agg.TASK_COLUMNS, TaskRecord.data).where(TaskRecord.id.in_(ids))
            for row in connection.execute(query):
                agg.count_deadline(row, counts)
                agg.count_reason(row, counts)
        for ids in agg.chunks(sorted(self.instances)):
            for row in agg.mediation_rows(connection, ProcessInstance.id.in_(ids)):
                agg.count_mediation(row, counts)
        if self.cases:
            units = agg.unit_ids(connection)
            for ids in agg.chunks(sorted(self.cases)):
                for row in agg.case_rows(connection, Case.id.in_(ids)):
                    agg.count_case(row, units, counts)
        return counts


@contextmanager
def counting(session: Session, facts: Facts) -> Iterator[None]:
    """Around a Core statement that changes these facts: the difference it makes."""
    connection = session.connection()
    before = facts.counted(connection)
    yield
    after = facts.counted(connection)
    after.subtract(before)
    agg.add(connection, after)


def count_inserted(session: Session, row: TaskRecord | ProcessInstance) -> None:
    """After a Core insert of ``row`` (values as inserted): what it adds."""
    counts: agg.Counts = Counter()
    connection = session.connection()
    if isinstance(row, TaskRecord):
        agg.count_deadline(row, counts)
        agg.count_reason(row, counts)
        if row.bpmn_id == agg.OUTCOME_TASK and row.status == TaskStatus.COMPLETED:
            for found in agg.mediation_rows(connection, TaskRecord.id == row.id):
                agg.count_mediation(found, counts)
    elif row.process_id == agg.MEDIATION_PROCESS and row.status == InstanceStatus.COMPLETED:
        for found in agg.mediation_rows(connection, ProcessInstance.id == row.id):
            agg.count_mediation(found, counts)
    agg.add(connection, counts)


def _identity(obj: Any) -> int | None:
    """The row's id: known before a flush for stored rows, after it (not yet in the identity
    map while ``after_flush`` runs) for new ones too."""
    identity = inspect_object(obj).identity
    return identity[0] if identity else obj.__dict__.get("id")


class _Touched:
    """The objects a flush writes that some statistic counts."""

    def __init__(self, session: Session) -> None:
        self.objects: list[Any] = []
        self.mediations: set[int] = set()  # instances of the outcome tasks written
        for obj in chain(session.new, session.dirty, session.deleted):
            if isinstance(obj, TaskRecord):
                self.objects.append(obj)
                if obj.bpmn_id == agg.OUTCOME_TASK and obj.instance_id is not None:
                    self.mediations.add(obj.instance_id)
            elif isinstance(obj, Case) or (
                isinstance(obj, ProcessInstance) and obj.process_id == agg.MEDIATION_PROCESS
            ):
                self.objects.append(obj)

    def facts(self) -> Facts:
        ids: dict[type, set[int]] = {TaskRecord: set(), ProcessInstance: set(), Case: set()}
        for obj in self.objects:
            found = _identity(obj)
            if found is not None:
                ids[type(obj)].add(found)
        return Facts(ids[TaskRecord], ids[ProcessInstance] | self.mediations, ids[Case])


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    session.info.pop(_PENDING, None)
    with session.no_autoflush:
        touched = _Touched(session)
        if touched.objects:
            before = touched.facts().counted(session.connection())
            session.info[_PENDING] = (touched, before)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    touched, before = pending
    connection = session.connection()
    after = touched.facts().counted(connection)
    after.subtract(before)
    agg.add(connection, after)
