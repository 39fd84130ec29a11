"""Keeping the projections in step with a workflow: task rows (inboxes), timers, reminders,
the instance's status and its stored state, after every engine step (the rows written by single
statements in ``row_writes``; a fired deadline's 催办 items in ``escalation``).

Called inside the caller's write transaction by ``runtime``, ``deadlines`` and ``migration``.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from app import clock
from app.clocks import suspension_text
from app.driver_sql import DriverStatement
from app.engine import TimerState
from app.engine import messages as engine_messages
from app.errors import Conflict
from app.models import ProcessInstance, TaskRecord, Timer
from app.models.states import InstanceStatus, TaskStatus, TimerStatus
from app.services.execution import escalation, holidays, lanes, row_writes, task_forms
from app.services.execution.workflows import (
    ENGINE,
    LEAN,
    EngineRun,
    StepResult,
    pinned_definition,
    remember,
)
from app.services.notify import ladder
from app.services.records import audit


def save(
    session: Session,
    instance: ProcessInstance,
    workflow: Any,
    others_open: bool = True,
    run: EngineRun | None = None,
) -> StepResult:
    result = sync(session, instance, workflow, others_open, run)
    result.signals = engine_messages.thrown_signals(workflow)  # for instances.forward_thrown
    result.messages = engine_messages.thrown_messages(workflow)
    row_writes.store_state(
        session, instance, run.state if run and run.state else ENGINE.dump(workflow)
    )
    try:
        session.flush()  # the projections (and any other column a caller changed)
    except StaleDataError as exc:
        raise Conflict("该流程实例刚被他人更新，请刷新后重试") from exc
    remember(session, instance, workflow)
    return result


def sync(
    session: Session,
    instance: ProcessInstance,
    workflow: Any,
    others_open: bool = True,
    run: EngineRun | None = None,
) -> StepResult:
    """Bring tasks, timers, reminders and status in line with the workflow state.

    Reads only the rows the workflow can still change (open tasks, unless the caller knows
    there are no others, and the timers it holds), with autoflush off (the queries below account
    for the step's unflushed changes). New task rows are inserted at once by Core statements
    (their ids are needed for ladder steps and timers); the caller flushes the rest.
    """
    now = clock.now()
    result = StepResult()
    if run is None:
        run = EngineRun(ENGINE.timers(workflow), ENGINE.ready_user_tasks(workflow))
    timers, ready = run.timers, run.ready
    with session.no_autoflush:
        timer_rows = (
            {
                t.spiff_task_id: t
                for t in session.scalars(
                    _TIMERS, {"instance_id": instance.id, "ids": [t.spiff_id for t in timers]}
                )
            }
            if timers
            else {}
        )
        open_rows = _open_task_rows(session, instance.id) if others_open else {}
        ready_ids = {t.spiff_id for t in ready}
        for spiff_id, row in open_rows.items():
            if spiff_id not in ready_ids:
                row.status = TaskStatus.CANCELLED
                if row.due_at is not None:
                    ladder.plan(session, holidays.current(), row, None)  # drops unsent steps
        for task in ready:
            if task.spiff_id not in open_rows:
                row = _new_task_row(session, instance, workflow, task, now)
                _apply_due(row, [t for t in timers if t.host_spiff_id == task.spiff_id])
                row_writes.insert_row(session, row)
                result.new_tasks.append(row)
                if row.due_at is not None:
                    ladder.plan(session, holidays.current(), row, task.properties.get("ladder"))
        for task in ready:
            open_row = open_rows.get(task.spiff_id)
            if open_row is None:
                continue
            before = open_row.due_at
            _apply_due(open_row, [t for t in timers if t.host_spiff_id == task.spiff_id])
            if open_row.due_at != before:
                ladder.plan(session, holidays.current(), open_row, task.properties.get("ladder"))
        rows = {**open_rows, **{r.spiff_task_id: r for r in result.new_tasks}}
        for timer in timers:
            _sync_timer(session, instance, timer, timer_rows.get(timer.spiff_id), rows, now, result)
    if ENGINE.is_completed(workflow) and instance.status == InstanceStatus.RUNNING:
        instance.status, instance.ended_at = InstanceStatus.COMPLETED, now
        audit.record(session, "system", "instance.complete", instance_id=instance.id,
                     case_id=instance.case_id)  # fmt: skip
    return result


# built once: a step runs them every time
_TIMERS = select(Timer).where(
    Timer.instance_id == bindparam("instance_id"),
    Timer.spiff_task_id.in_(bindparam("ids", expanding=True)),
)
_OPEN_TASK_IDS = select(TaskRecord.id).where(
    TaskRecord.instance_id == bindparam("instance_id"), TaskRecord.status == TaskStatus.OPEN
)
_TASKS_BY_ID = (
    select(TaskRecord).where(TaskRecord.id.in_(bindparam("ids", expanding=True))).options(*LEAN)
)


def _open_task_rows(session: Session, instance_id: int) -> dict[str, TaskRecord]:
    """The instance's open task rows by SpiffWorkflow id, as this transaction left them.

    Ids come from one Core query; rows the session holds already (the task this step
    completed, typically the only one) are not loaded again.
    """
    ids = session.connection().execute(_OPEN_TASK_IDS, {"instance_id": instance_id}).scalars()
    rows, missing = [], []
    for task_id in ids:
        held = session.identity_map.get(identity_key(TaskRecord, task_id))
        if held is None:
            missing.append(task_id)
        else:
            rows.append(held)
    if missing:
        rows.extend(session.scalars(_TASKS_BY_ID, {"ids": missing}))
    # not the task this step completed (still open in the table)
    return {t.spiff_task_id: t for t in rows if t.status == TaskStatus.OPEN}


def _new_task_row(
    session: Session, instance: ProcessInstance, workflow: Any, task: Any, now: datetime
) -> TaskRecord:
    data = ENGINE.task_data(workflow, task.spiff_id)
    unit = lanes.owner_ref(session, task.lane, data)
    form = task.properties.get("formJsonSchemaFilename")
    schema = pinned_definition(session, instance).forms.get(form or "") or {}
    offered = task_forms.prefill(schema, data)
    answered = _answered_before(session, instance.id, task.bpmn_id, set(offered))
    return TaskRecord(
        instance_id=instance.id,
        case_id=instance.case_id,
        process_id=instance.process_id,
        spiff_task_id=task.spiff_id,
        bpmn_id=task.bpmn_id,
        name=task.name,
        lane=task.lane,
        unit_id=unit.id,
        role=task.properties.get("role") or None,
        assignee_id=assignee_for(task.properties.get("assignee"), unit),
        form=form,
        instructions=task.instructions,
        status=TaskStatus.OPEN,
        created_at=now,
        prefill={k: v for k, v in offered.items() if k not in answered} or None,
    )


def _sync_timer(
    session: Session,
    instance: ProcessInstance,
    timer: TimerState,
    row: Timer | None,
    tasks_by_spiff: dict[str, TaskRecord],
    now: datetime,
    result: StepResult,
) -> None:
    host = tasks_by_spiff.get(timer.host_spiff_id or "") or _task_row(
        session, instance.id, timer.host_spiff_id
    )
    if row is None:
        if timer.state != "waiting" or timer.due_at is None:
            return
        row = Timer(
            instance_id=instance.id,
            spiff_task_id=timer.spiff_id,
            bpmn_id=timer.bpmn_id,
            name=timer.name,
            task_record_id=host.id if host else None,
            due_at=timer.due_at,
            status=TimerStatus.WAITING,
            purpose=timer.purpose,
        )
        session.add(row)
    if timer.suspended and timer.state == "waiting":
        # 中止: parked until resumed; keeps its last real due time
        row.status = TimerStatus.SUSPENDED
        row.explanation = suspension_text(timer.suspended)
        return
    if row.status == TimerStatus.SUSPENDED and timer.state == "waiting":
        row.status = TimerStatus.WAITING
    if timer.due_at is not None:
        row.due_at = timer.due_at
        if timer.state == "waiting":
            session.info.setdefault("timer_due", []).append(timer.due_at)
    row.provisional = timer.provisional
    row.explanation = timer.explanation
    if timer.state == "fired" and row.status == TimerStatus.WAITING:
        row.status, row.fired_at = TimerStatus.FIRED, now
        result.fired.append(row)
        escalation.escalate(session, instance, timer, host)
        if (
            timer.purpose == "reminder"
            and host is not None
            and host.status == TaskStatus.OPEN
            and (timer.due_at is None or host.created_at <= timer.due_at)  # not before it began
        ):
            due = clock.to_local(timer.due_at).date().isoformat() if timer.due_at else ""
            ladder.notify_now(session, host, f"提醒：{timer.name}（{due}）——请办理“{host.name}”")
    elif timer.state == "cancelled" and row.status == TimerStatus.WAITING:
        row.status = TimerStatus.CANCELLED


def _answered_before(
    session: Session, instance_id: int, bpmn_id: str, fields: set[str]
) -> set[str]:
    """Which of ``fields`` an earlier round of the same task submitted (not offered again as
    answers). Checked in the database: a task done 200 times is not 200 rows to parse."""
    if not fields:
        return set()
    names = tuple(sorted(fields))
    conn = session.connection()
    statement = _answered_statement(names, conn.dialect.name == "postgresql")
    row = statement.first(conn, {"instance_id": instance_id, "bpmn_id": bpmn_id})
    assert row is not None  # an aggregate: one row
    answered = {name for name, count in zip(names, row, strict=True) if count}
    for obj in session.dirty:  # completed in this transaction, not flushed yet
        if isinstance(obj, TaskRecord) and (obj.instance_id, obj.bpmn_id, obj.status) == (
            instance_id,
            bpmn_id,
            TaskStatus.COMPLETED,
        ):
            answered |= fields & set(obj.data or {})
    return answered


@lru_cache(maxsize=256)
def _answered_statement(names: tuple[str, ...], postgres: bool) -> DriverStatement:
    present = [func.sum(case((_has_key(TaskRecord.data, n, postgres), 1), else_=0)) for n in names]
    return DriverStatement(
        select(*present).where(
            TaskRecord.instance_id == bindparam("instance_id"),
            TaskRecord.bpmn_id == bindparam("bpmn_id"),
            TaskRecord.status == TaskStatus.COMPLETED,
        )
    )


def _has_key(column: Any, key: str, postgres: bool) -> ColumnElement[bool]:
    """The JSON object in ``column`` has ``key`` (even with a null value)."""
    if postgres:
        return func.jsonb_exists(cast(column, JSONB), key)
    path = '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return func.json_type(column, path).is_not(None)


def assignee_for(rule: str | None, unit: lanes.UnitRef) -> int | None:
    """``assignee`` task property: ``designated_reviewer`` = the unit's legality reviewer."""
    if rule == "designated_reviewer":
        return unit.designated_reviewer_id
    return None


def _task_row(session: Session, instance_id: int, spiff_id: str | None) -> TaskRecord | None:
    if not spiff_id:
        return None
    return session.scalar(
        select(TaskRecord).where(
            TaskRecord.instance_id == instance_id, TaskRecord.spiff_task_id == spiff_id
        )
    )


def _apply_due(row: TaskRecord, timers: list[TimerState]) -> None:
    """The task's due date is its deadline timers' (not its reminders' or milestones')."""
    dated = [
        t
        for t in timers
        if t.due_at is not None and t.state != "cancelled" and t.purpose == "deadline"
    ]
    if not dated:
        return
    row.due_basis = dated[0].properties.get("basis", "")
    parked = [t for t in dated if t.suspended and t.state == "waiting"]
    row.deadline_suspended = bool(parked)
    if parked:
        row.due_at, row.provisional = None, False
        row.due_rule = suspension_text(parked[0].suspended or {})
        return
    first = min(dated, key=lambda t: t.due_at or datetime.max)
    row.due_at, row.provisional, row.due_rule = first.due_at, first.provisional, first.explanation
