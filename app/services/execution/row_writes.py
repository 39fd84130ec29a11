"""A step's rows written by single Core statements, each left in the session as written (no
unit-of-work pass over them): the instance's stored state under its version, a completed task's
columns, a new row whose id is needed at once. What they change in the statistics'
aggregates is counted here (``reporting.aggregate_sync``), as a flush would."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.driver_sql import DriverStatement
from app.errors import Conflict
from app.models import ProcessInstance, TaskRecord
from app.models.states import TaskStatus
from app.services.records import audit
from app.services.reporting import aggregate_sync as stats_sync
from app.services.reporting.aggregates import MEDIATION_PROCESS, OUTCOME_TASK

_INSTANCES: Table = ProcessInstance.__table__  # type: ignore[assignment]
_TASKS: Table = TaskRecord.__table__  # type: ignore[assignment]

# the workflow state, status and version in one Core statement, checked against the version
# this transaction read (the mapper's optimistic lock, without a unit-of-work pass over it)
_STORE_STATE = DriverStatement(
    update(_INSTANCES)
    .where(
        _INSTANCES.c.id == bindparam("b_id"),
        _INSTANCES.c.lock_version == bindparam("b_version"),
    )
    .values(lock_version=_INSTANCES.c.lock_version + 1)
)
_STORED_COLUMNS = ("state", "status", "ended_at")


def store_state(session: Session, instance: ProcessInstance, state: str) -> None:
    version = instance.lock_version
    values = {"state": state, "status": instance.status, "ended_at": instance.ended_at}
    parameters = {**values, "b_id": instance.id, "b_version": version}
    if instance.process_id == MEDIATION_PROCESS:  # only a mediation's end counts in a statistic
        with stats_sync.counting(session, stats_sync.Facts(instances=[instance.id])):
            stored = _STORE_STATE.run(session.connection(), parameters)
    else:
        stored = _STORE_STATE.run(session.connection(), parameters)
    if stored != 1:
        raise Conflict("该流程实例刚被他人更新，请刷新后重试")
    for key in _STORED_COLUMNS:  # as written: nothing left for the next flush to send
        set_committed_value(instance, key, values[key])
    set_committed_value(instance, "lock_version", version + 1)
    audit.covers(session, instance)


_UPDATE_TASK = DriverStatement(update(_TASKS).where(_TASKS.c.id == bindparam("b_id")))


def close_task(session: Session, task: TaskRecord, values: dict[str, Any]) -> None:
    """Write a completed task's columns with one Core statement, the row kept as written.

    An open task counts in no statistic, so what the closed one counts is taken from the row
    as written, without reading it back; a mediation's outcome (its instance's counts) and a
    task not open as loaded are counted from the database before and after."""
    if task.bpmn_id == OUTCOME_TASK or task.status != TaskStatus.OPEN:
        mediation = [task.instance_id] if task.bpmn_id == OUTCOME_TASK else []
        with stats_sync.counting(session, stats_sync.Facts([task.id], mediation)):
            _UPDATE_TASK.run(session.connection(), {**values, "b_id": task.id})
        for key, value in values.items():
            set_committed_value(task, key, value)
        return
    _UPDATE_TASK.run(session.connection(), {**values, "b_id": task.id})
    for key, value in values.items():
        set_committed_value(task, key, value)
    stats_sync.count_inserted(session, task)


def insert_row(session: Session, row: TaskRecord | ProcessInstance) -> None:
    """Insert a new row with one Core statement and attach it to the session as loaded: its
    id is known at once (ladder steps, timers, events point at it) and no flush tracks it."""
    table = type(row).__table__
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.primary_key:
            continue
        if column.key not in row.__dict__:
            default = column.default
            if default is not None and default.is_scalar:
                setattr(row, column.key, default.arg)
            elif column.server_default is None:
                setattr(row, column.key, None)
            else:
                continue  # the database's default (read back if asked for)
        values[column.key] = row.__dict__[column.key]
    ((row.id,),) = _insert(table).rows(session.connection(), values)
    make_transient_to_detached(row)
    session.add(row)
    stats_sync.count_inserted(session, row)


@lru_cache(maxsize=8)
def _insert(table: Any) -> DriverStatement:
    return DriverStatement(insert(table).returning(table.c.id))
