"""Running instances: start, complete a task, fire timers, and keep the projections in step.

Every public function runs inside the caller's write transaction and appends its audit event
there, so a change and its record commit together or not at all.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    case,
    cast,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, lazyload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from app import clock
from app.engine import Engine, EngineError, TaskNotReady, TimerState
from app.models import (
    Attachment,
    Case,
    ProcessDefinition,
    ProcessInstance,
    Reminder,
    TaskRecord,
    Timer,
    Unit,
)
from app.services import (
    attachments,
    audit,
    calendar,
    documents,
    forms,
    gates,
    ladder,
    lanes,
    org,
)
from app.services.actor import Actor
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError

ENGINE = Engine(calendar=calendar.current, now=clock.now)
READ_ONLY_ROLES = {"auditor", "court"}
# The write path loads rows without the joined relationships the views want (unit, case,
# assignee...): a step touches a handful of columns, and a related row loads when asked.
LEAN = (lazyload("*"),)


@dataclass(frozen=True)
class PinnedDefinition:
    """What a step needs of its instance's definition version (immutable once deployed)."""

    spec_json: str
    forms: dict[str, Any]


# per database engine, definition id -> PinnedDefinition: a step neither reloads the spec and
# every form of its version nor parses them again
_pinned: weakref.WeakKeyDictionary[Any, dict[int, PinnedDefinition]] = weakref.WeakKeyDictionary()
_pinned_lock = threading.Lock()


_PINNED = select(ProcessDefinition.spec_json, ProcessDefinition.forms).where(
    ProcessDefinition.id == bindparam("id")
)


def pinned_definition(session: Session, instance: ProcessInstance) -> PinnedDefinition:
    bind = session.get_bind()
    with _pinned_lock:
        found = _pinned.get(bind, {}).get(instance.definition_id)
    if found is None:
        row = session.execute(_PINNED, {"id": instance.definition_id}).one()
        found = PinnedDefinition(row.spec_json, row.forms)
        with _pinned_lock:
            _pinned.setdefault(bind, {})[instance.definition_id] = found
    return found


@dataclass
class StepResult:
    """What one engine step changed, for documents and callers."""

    new_tasks: list[TaskRecord] = field(default_factory=list)
    fired: list[Timer] = field(default_factory=list)


def start(
    session: Session,
    actor: Actor,
    definition: ProcessDefinition,
    data: dict[str, Any],
    case_id: int | None = None,
    unit_id: int | None = None,
) -> ProcessInstance:
    """Start an instance; ``unit_id`` is the unit it is handled for (承办单位), for filtering."""
    now = clock.now()
    with calendar.in_scope(session):
        try:
            workflow = ENGINE.start(definition.spec_json, data)
        except EngineError as exc:
            raise InvalidInput(f"流程无法启动：{exc}") from exc
        instance = ProcessInstance(
            definition_id=definition.id,
            process_id=definition.process_id,
            case_id=case_id,
            unit_id=unit_id if unit_id is not None else actor.unit_id,
            status="running",
            state=ENGINE.dump(workflow),
            started_at=now,
            started_by=actor.username,
            summary=summarize(data),
        )
        _insert_row(session, instance)
        audit.record(
            session, actor, "instance.start", instance_id=instance.id, case_id=case_id,
            process_id=definition.process_id, version=definition.version,
        )  # fmt: skip
        _sync(session, instance, workflow, others_open=False)  # a new instance has none yet
        session.flush()
    return instance


# process data that says what an instance is about, in this order (shown in inboxes and lists)
SUMMARY_FIELDS = (
    ("court_case_no", ""), ("plaintiff", ""), ("unit_name", ""), ("period", ""),
    ("loss_rate", "败诉率 "), ("origin_ref", ""),
)  # fmt: skip


def summarize(data: dict[str, Any]) -> str:
    parts = [f"{label}{data[key]}" for key, label in SUMMARY_FIELDS if data.get(key)]
    return " · ".join(str(p) for p in parts)[:300]


def can_work_on(actor: Actor, task: TaskRecord) -> bool:
    """The actor may do the task, in their own right or for someone they substitute for."""
    return _may(actor, task) or any(_may(absent, task) for absent in actor.acting_for)


def working_for(actor: Actor, task: TaskRecord) -> str:
    """How the history names who did it: "李四（代 张三）" for a substitute."""
    if _may(actor, task):
        return actor.username
    absent = next(a for a in actor.acting_for if _may(a, task))
    return f"{actor.username}（代 {absent.username}）"


def _may(actor: Actor, task: TaskRecord) -> bool:
    if actor.role in READ_ONLY_ROLES:
        return False
    if task.assignee_id is not None and task.assignee_id != actor.user_id:
        return False
    return actor.unit_id == task.unit_id and (task.role is None or task.role == actor.role)


MAY_VIEW_ANY_TASK = {"auditor", "center", "bureau", "bureau_head", "leader", "admin"}


def open_task_for(session: Session, actor: Actor, task_id: int) -> TaskRecord:
    task = session.get(TaskRecord, task_id)
    if task is None or not (can_work_on(actor, task) or actor.role in MAY_VIEW_ANY_TASK):
        raise NotFound("任务不存在或无权查看")
    return task


def task_schema(session: Session, task: TaskRecord) -> dict[str, Any]:
    """The task's form as pinned by its instance's definition version, options resolved."""
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    schema = pinned_definition(session, instance).forms.get(task.form or "")
    if schema is None:
        raise InvalidInput("任务表单缺失")
    return forms.prepare(session, schema)


# the task and its instance in one round trip (a completion needs both)
_OPEN_OF_INSTANCE = (
    select(func.count(TaskRecord.id))
    .where(TaskRecord.instance_id == ProcessInstance.id, TaskRecord.status == "open")
    .correlate(ProcessInstance)
    .scalar_subquery()
)
_TASK_AND_INSTANCE = (
    select(TaskRecord, ProcessInstance, _OPEN_OF_INSTANCE)
    .join(ProcessInstance, ProcessInstance.id == TaskRecord.instance_id)
    .where(TaskRecord.id == bindparam("task_id"))
    .options(*LEAN)
)

_LOCK_INSTANCE_OF_TASK = (
    select(ProcessInstance.id)
    .where(
        ProcessInstance.id
        == select(TaskRecord.instance_id)
        .where(TaskRecord.id == bindparam("task_id"))
        .scalar_subquery()
    )
    .with_for_update()
)


@dataclass(frozen=True)
class EngineRun:
    """What a step's projections and stored state are made from, read off the workflow once."""

    timers: list[TimerState]
    ready: list[Any]
    state: str | None = None  # the dumped workflow, when computed ahead


@dataclass
class Prepared:
    """A completion computed ahead of its write transaction (``prepare_completion``): the
    engine's run and the state to store, valid while the instance stays at ``lock_version``."""

    task: TaskRecord  # as read then (detached); adopted by the write transaction if current
    instance: ProcessInstance
    open_count: int
    lock_version: int
    data: dict[str, Any]
    workflow: Any
    properties: dict[str, str]
    run: EngineRun


def prepare_completion(
    session: Session, actor: Actor, task_id: int, data: dict[str, Any], validate: Any
) -> Prepared | None:
    """Check a submission and run the engine for it in a read transaction.

    Restoring the workflow, running it to its next wait and serializing it is most of a
    completion's work and needs nothing but the instance's stored state, so it runs before the
    write transaction, beside other writers (SQLite has one writer at a time). ``complete_task``
    then uses it if the instance is still at the version read here, else runs it again. Invalid
    or refused submissions fail here, before any write lock. None for forms with files (they
    are stored in the write transaction).
    """
    task, instance, open_count = _completable(session, actor, task_id, lock=False)
    schema = task_schema(session, task)
    if forms.attachment_fields(schema):
        return None
    _check_submission(schema, data, validate, {})
    gates.check(session, instance.process_id, task)
    with calendar.in_scope(session):
        workflow, properties = _run_completion(session, instance, task, schema, data)
        timers, ready = ENGINE.timers(workflow), ENGINE.ready_user_tasks(workflow)
        run = EngineRun(timers, ready, ENGINE.dump(workflow))
    session.expunge(task)  # handed to the write transaction's session
    session.expunge(instance)
    return Prepared(
        task, instance, open_count, instance.lock_version, dict(data), workflow, properties, run
    )


def complete_task(
    session: Session,
    actor: Actor,
    task_id: int,
    data: dict[str, Any],
    validate: Any,
    uploads: dict[str, list[attachments.Upload]] | None = None,
    storage: Path | None = None,
    prepared: Prepared | None = None,
) -> tuple[TaskRecord, StepResult]:
    """Complete one open user task with validated form data.

    ``validate(schema, data) -> {field: [messages]}`` checks the submission against the
    task's form as pinned by the instance's definition version. Files arrive either as
    ``uploads`` (web form) or, in ``data``, as ids of attachments uploaded before (API).
    ``prepared`` (from ``prepare_completion``) is used when the instance has not changed since.
    """
    if prepared is not None and not _still_current(session, prepared, task_id, data):
        prepared = None  # another writer changed the instance or the task since: run it again
    if prepared is not None:
        task, instance, open_count = prepared.task, prepared.instance, prepared.open_count
        if not can_work_on(actor, task):
            raise Forbidden("无权办理此任务")
        session.add_all((task, instance))  # as read in the prepare (and checked just now)
    else:
        task, instance, open_count = _completable(session, actor, task_id, lock=True)
    schema = task_schema(session, task)
    data = dict(data)
    uploads = uploads or {}
    stored: list[Attachment] = []
    if prepared is None:
        errors: dict[str, list[str]] = {}
        for name in forms.attachment_fields(schema):
            if uploads.get(name):
                errors.update(attachments.check(name, uploads[name]))
                data[name] = [attachments.placeholder(u) for u in uploads[name]]
            elif name in data:
                data[name] = attachments.resolve(session, actor, data[name], name)
        _check_submission(schema, data, validate, errors)
        gates.check(session, instance.process_id, task)
        for name, files in uploads.items():
            if name in data and files:
                if storage is None:
                    raise InvalidInput("附件存储未配置")
                rows = [attachments.store(session, actor, storage, f) for f in files]
                stored.extend(rows)
                data[name] = [row.as_ref() for row in rows]
    with calendar.in_scope(session):
        if prepared is None:
            workflow, properties = _run_completion(session, instance, task, schema, data)
            run = None
        else:
            workflow, properties, run = prepared.workflow, prepared.properties, prepared.run
        _close_task(
            session,
            task,
            {
                "status": "completed",
                "completed_at": clock.now(),
                "completed_by": working_for(actor, task),
                "data": data,
            },
        )
        if task.due_at is not None:  # a task without a due date has no ladder steps
            ladder.plan(session, calendar.current(), task, None)  # done: no more reminders
        for name in forms.attachment_fields(schema):
            for ref in data.get(name) or []:
                row = session.get(Attachment, ref["id"])
                if row is not None:
                    row.task_record_id, row.instance_id = task.id, instance.id
        audit.record(
            session, actor, "task.complete", instance_id=instance.id, case_id=instance.case_id,
            task_id=task.id, bpmn_id=task.bpmn_id, data=data,
        )  # fmt: skip
        # the instance's only open task was this one: _sync need not look for others
        result = _save(session, instance, workflow, others_open=open_count > 1, run=run)
        kinds = [k.strip() for k in properties.get("documents", "").split(",") if k.strip()]
        if kinds:
            dues = [t.due_at for t in result.new_tasks if t.due_at is not None]
            next_due = {"reply_due": clock.to_local(min(dues)).date().isoformat()} if dues else {}
            documents.render_for_task(
                session,
                instance,
                task,
                kinds,
                ENGINE.task_data(workflow, task.spiff_task_id),
                next_due,
            )
    return task, result


# what a prepared completion must find unchanged (every write of an instance bumps its version;
# a task's unit, role or assignee change without it), and the open task count it used
_CURRENT = (
    select(
        ProcessInstance.lock_version,
        TaskRecord.status,
        TaskRecord.unit_id,
        TaskRecord.role,
        TaskRecord.assignee_id,
        TaskRecord.due_at,
        _OPEN_OF_INSTANCE,
    )
    .join(ProcessInstance, ProcessInstance.id == TaskRecord.instance_id)
    .where(TaskRecord.id == bindparam("task_id"))
)


def _still_current(
    session: Session, prepared: Prepared, task_id: int, data: dict[str, Any]
) -> bool:
    if prepared.task.id != task_id or prepared.data != data:
        return False
    if _row_locks(session):  # queue behind the instance's other writers, then read it
        session.execute(_LOCK_INSTANCE_OF_TASK, {"task_id": task_id})
    now = session.connection().execute(_CURRENT, {"task_id": task_id}).one_or_none()
    task = prepared.task
    then = (
        prepared.lock_version, task.status, task.unit_id, task.role, task.assignee_id,
        task.due_at, prepared.open_count,
    )  # fmt: skip
    return now is not None and tuple(now) == then


def _completable(
    session: Session, actor: Actor, task_id: int, lock: bool
) -> tuple[TaskRecord, ProcessInstance, int]:
    """The open task the actor may complete, its instance, and the instance's open tasks."""
    if lock and _row_locks(session):  # queue behind the instance's other writers, then read it
        session.execute(_LOCK_INSTANCE_OF_TASK, {"task_id": task_id})
    found = session.execute(_TASK_AND_INSTANCE, {"task_id": task_id}).one_or_none()
    if found is None:
        raise NotFound("任务不存在")
    task, instance, open_count = found
    if not can_work_on(actor, task):
        raise Forbidden("无权办理此任务")
    if task.status != "open":
        raise Conflict("任务已办结，不能重复提交")
    return task, instance, open_count


def _check_submission(
    schema: dict[str, Any], data: dict[str, Any], validate: Any, errors: dict[str, list[str]]
) -> None:
    for name, messages in validate(schema, data).items():
        errors.setdefault(name, []).extend(messages)
    if errors:
        raise InvalidInput("表单填写有误", errors)


def _run_completion(
    session: Session,
    instance: ProcessInstance,
    task: TaskRecord,
    schema: dict[str, Any],
    data: dict[str, Any],
) -> tuple[Any, dict[str, str]]:
    """The instance's workflow with the task completed and run to its next wait."""
    workflow = ENGINE.load(pinned_definition(session, instance).spec_json, instance.state)
    properties = ENGINE.task_properties(workflow, task.spiff_task_id)
    engine_data = dict(data)
    chosen = forms.lane_choices(schema, data)
    if chosen:
        current = ENGINE.task_data(workflow, task.spiff_task_id).get("lane_owners") or {}
        engine_data["lane_owners"] = {**current, **chosen}
    try:
        ENGINE.complete(workflow, task.spiff_task_id, engine_data)
    except TaskNotReady as exc:
        raise Conflict("任务已办结，不能重复提交") from exc
    except EngineError as exc:
        raise InvalidInput(f"流程执行出错：{exc}") from exc
    return workflow, properties


def deliver_message(
    session: Session, instance: ProcessInstance, name: str, payload: dict[str, Any]
) -> bool:
    """Deliver a court message to one running instance; False when it does not wait for it."""
    instance = lock_instance(session, instance.id) or instance
    if instance.status != "running":
        return False
    with calendar.in_scope(session):
        workflow = ENGINE.load(pinned_definition(session, instance).spec_json, instance.state)
        try:
            delivered = ENGINE.deliver(workflow, name, payload)
        except EngineError as exc:
            raise InvalidInput(f"流程执行出错：{exc}") from exc
        if not delivered:
            return False
        audit.record(
            session, "system", "message.delivered", instance_id=instance.id,
            case_id=instance.case_id, message=name,
        )  # fmt: skip
        _save(session, instance, workflow)
    return True


def lock_instance(session: Session, instance_id: int) -> ProcessInstance | None:
    """The instance as its last writer committed it, locked until this transaction ends.

    On PostgreSQL two writers of one instance (a person and a timer pass, two co-defendants'
    reviews) queue on the row instead of one failing on the version check. SQLite admits one
    writer at a time and our write transactions begin IMMEDIATE, so what this transaction read
    is already current: no second query there.
    """
    if not _row_locks(session):
        return session.get(ProcessInstance, instance_id, options=LEAN)
    try:
        return session.get(
            ProcessInstance,
            instance_id,
            options=LEAN,  # not the joined definition (with its spec), unit, case
            with_for_update=True,
            populate_existing=True,
        )
    except StaleDataError as exc:  # this transaction read it before another writer committed
        raise Conflict("该流程实例刚被他人更新，请刷新后重试") from exc


def _row_locks(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def advance_instance(session: Session, instance_id: int) -> StepResult:
    """Let the engine catch up with the clock (fires due timers of this instance)."""
    instance = lock_instance(session, instance_id)
    if instance is None or instance.status != "running":
        return StepResult()
    with calendar.in_scope(session):
        workflow = ENGINE.load(pinned_definition(session, instance).spec_json, instance.state)
        try:
            ENGINE.advance(workflow)
        except EngineError as exc:
            instance.status = "error"
            audit.record(
                session, "system", "instance.error", instance_id=instance.id, error=str(exc)
            )
            return StepResult()
        return _save(session, instance, workflow)


def recompute_timers(session: Session, instance_id: int) -> StepResult:
    """Evaluate the waiting timers of an instance again (after a calendar import)."""
    instance = lock_instance(session, instance_id)
    if instance is None or instance.status != "running":
        return StepResult()
    with calendar.in_scope(session):
        workflow = ENGINE.load(pinned_definition(session, instance).spec_json, instance.state)
        for timer in ENGINE.timers(workflow):
            if timer.state == "waiting":
                ENGINE.recompute_timer(workflow, timer.spiff_id)
        return _save(session, instance, workflow)


def _save(
    session: Session,
    instance: ProcessInstance,
    workflow: Any,
    others_open: bool = True,
    run: EngineRun | None = None,
) -> StepResult:
    result = _sync(session, instance, workflow, others_open, run)
    _store_state(session, instance, run.state if run and run.state else ENGINE.dump(workflow))
    try:
        session.flush()  # the projections (and any other column a caller changed)
    except StaleDataError as exc:
        raise Conflict("该流程实例刚被他人更新，请刷新后重试") from exc
    return result


# the workflow state, status and version in one Core statement, checked against the version
# this transaction read (the mapper's optimistic lock, without a unit-of-work pass over it)
_STORE_STATE = (
    update(ProcessInstance.__table__)
    .where(
        ProcessInstance.__table__.c.id == bindparam("b_id"),
        ProcessInstance.__table__.c.lock_version == bindparam("b_version"),
    )
    .values(lock_version=ProcessInstance.__table__.c.lock_version + 1)
)
_STORED_COLUMNS = ("state", "status", "ended_at")


def _store_state(session: Session, instance: ProcessInstance, state: str) -> None:
    version = instance.lock_version
    values = {"state": state, "status": instance.status, "ended_at": instance.ended_at}
    stored = session.connection().execute(
        _STORE_STATE, {**values, "b_id": instance.id, "b_version": version}
    )
    if stored.rowcount != 1:
        raise Conflict("该流程实例刚被他人更新，请刷新后重试")
    for key in _STORED_COLUMNS:  # as written: nothing left for the next flush to send
        set_committed_value(instance, key, values[key])
    set_committed_value(instance, "lock_version", version + 1)


def _sync(
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
                row.status = "cancelled"
                if row.due_at is not None:
                    ladder.plan(session, calendar.current(), row, None)  # drops unsent steps
        for task in ready:
            if task.spiff_id not in open_rows:
                row = _new_task_row(session, instance, workflow, task, now)
                _apply_due(row, [t for t in timers if t.host_spiff_id == task.spiff_id])
                _insert_row(session, row)
                result.new_tasks.append(row)
                if row.due_at is not None:
                    ladder.plan(session, calendar.current(), row, task.properties.get("ladder"))
        for task in ready:
            row = open_rows.get(task.spiff_id)
            if row is None:
                continue
            before = row.due_at
            _apply_due(row, [t for t in timers if t.host_spiff_id == task.spiff_id])
            if row.due_at != before:
                ladder.plan(session, calendar.current(), row, task.properties.get("ladder"))
        rows = {**open_rows, **{r.spiff_task_id: r for r in result.new_tasks}}
        for timer in timers:
            _sync_timer(session, instance, timer, timer_rows.get(timer.spiff_id), rows, now, result)
    if ENGINE.is_completed(workflow) and instance.status == "running":
        instance.status, instance.ended_at = "completed", now
        audit.record(session, "system", "instance.complete", instance_id=instance.id,
                     case_id=instance.case_id)  # fmt: skip
    return result


# built once: a step runs them every time
_TIMERS = select(Timer).where(
    Timer.instance_id == bindparam("instance_id"),
    Timer.spiff_task_id.in_(bindparam("ids", expanding=True)),
)
_OPEN_TASK_IDS = select(TaskRecord.id).where(
    TaskRecord.instance_id == bindparam("instance_id"), TaskRecord.status == "open"
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
    return {t.spiff_task_id: t for t in rows if t.status == "open"}


def _new_task_row(
    session: Session, instance: ProcessInstance, workflow: Any, task: Any, now: datetime
) -> TaskRecord:
    data = ENGINE.task_data(workflow, task.spiff_id)
    unit = lanes.owner_ref(session, task.lane, data)
    form = task.properties.get("formJsonSchemaFilename")
    schema = pinned_definition(session, instance).forms.get(form or "") or {}
    offered = forms.prefill(schema, data)
    answered = _answered_before(session, instance.id, task.bpmn_id, set(offered))
    return TaskRecord(
        instance_id=instance.id,
        case_id=instance.case_id,
        spiff_task_id=task.spiff_id,
        bpmn_id=task.bpmn_id,
        name=task.name,
        lane=task.lane,
        unit_id=unit.id,
        role=task.properties.get("role") or None,
        assignee_id=_assignee(task.properties.get("assignee"), unit),
        form=form,
        status="open",
        created_at=now,
        prefill={k: v for k, v in offered.items() if k not in answered} or None,
    )


_UPDATE_TASK = update(TaskRecord.__table__).where(TaskRecord.__table__.c.id == bindparam("b_id"))


def _close_task(session: Session, task: TaskRecord, values: dict[str, Any]) -> None:
    """Write a completed task's columns with one Core statement, the row kept as written."""
    session.connection().execute(_UPDATE_TASK, {**values, "b_id": task.id})
    for key, value in values.items():
        set_committed_value(task, key, value)


def _insert_row(session: Session, row: TaskRecord | ProcessInstance) -> None:
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
    row.id = session.connection().execute(_insert(table), values).inserted_primary_key[0]
    make_transient_to_detached(row)
    session.add(row)


@lru_cache(maxsize=8)
def _insert(table: Any) -> Any:
    return insert(table)


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
            status="waiting",
        )
        session.add(row)
    if timer.suspended and timer.state == "waiting":
        row.status = "suspended"  # 中止: parked until resumed; keeps its last real due time
        row.explanation = suspension_text(timer.suspended)
        return
    if row.status == "suspended" and timer.state == "waiting":
        row.status = "waiting"
    if timer.due_at is not None:
        row.due_at = timer.due_at
        if timer.state == "waiting":
            session.info.setdefault("timer_due", []).append(timer.due_at)
    row.provisional = timer.provisional
    row.explanation = timer.explanation
    if timer.state == "fired" and row.status == "waiting":
        row.status, row.fired_at = "fired", now
        result.fired.append(row)
        _escalate(session, instance, timer, host)
    elif timer.state == "cancelled" and row.status == "waiting":
        row.status = "cancelled"


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
    row = conn.execute(statement, {"instance_id": instance_id, "bpmn_id": bpmn_id}).one()
    answered = {name for name, count in zip(names, row, strict=True) if count}
    for obj in session.dirty:  # completed in this transaction, not flushed yet
        if isinstance(obj, TaskRecord) and (obj.instance_id, obj.bpmn_id, obj.status) == (
            instance_id,
            bpmn_id,
            "completed",
        ):
            answered |= fields & set(obj.data or {})
    return answered


@lru_cache(maxsize=256)
def _answered_statement(names: tuple[str, ...], postgres: bool) -> Select[Any]:
    present = [func.sum(case((_has_key(TaskRecord.data, n, postgres), 1), else_=0)) for n in names]
    return select(*present).where(
        TaskRecord.instance_id == bindparam("instance_id"),
        TaskRecord.bpmn_id == bindparam("bpmn_id"),
        TaskRecord.status == "completed",
    )


def _has_key(column: Any, key: str, postgres: bool) -> ColumnElement[bool]:
    """The JSON object in ``column`` has ``key`` (even with a null value)."""
    if postgres:
        return func.jsonb_exists(cast(column, JSONB), key)
    path = '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return func.json_type(column, path).is_not(None)


def _assignee(rule: str | None, unit: lanes.UnitRef) -> int | None:
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


def suspension_text(suspended: dict[str, Any]) -> str:
    return (
        f"期限自 {suspended.get('since', '')} 起中止（{suspended.get('reason', '')}），"
        f"恢复后剩余 {suspended.get('remaining', '')} 个工作日"
    )


def _apply_due(row: TaskRecord, timers: list[TimerState]) -> None:
    dated = [t for t in timers if t.due_at is not None and t.state != "cancelled"]
    if not dated:
        return
    parked = [t for t in dated if t.suspended and t.state == "waiting"]
    if parked:
        row.due_at, row.provisional = None, False
        row.due_rule = suspension_text(parked[0].suspended or {})
        return
    first = min(dated, key=lambda t: t.due_at or datetime.max)
    row.due_at, row.provisional, row.due_rule = first.due_at, first.provisional, first.explanation


ESCALATION_TARGETS = {"center": ("center", None), "bureau": ("bureau", None)}


def _escalate(
    session: Session, instance: ProcessInstance, timer: TimerState, host: TaskRecord | None
) -> None:
    """Raise the 催办 items a fired deadline asks for (``escalate_to`` on the timer)."""
    targets = [t.strip() for t in timer.properties.get("escalate_to", "").split(",") if t.strip()]
    due = clock.to_local(timer.due_at).date().isoformat() if timer.due_at else ""
    subject = f"“{host.name}”" if host else f"“{timer.name}”"
    message = f"{subject}已超过期限（{due}），请督促办理"
    created = []
    for target in targets:
        unit: Unit | None
        role: str | None = None
        if target == "agency_head":
            role = "agency_head"
            unit = host.unit if host and host.unit and host.unit.kind == "agency" else None
            if unit is None and instance.case_id is not None:
                case = session.get(Case, instance.case_id)
                unit = case.agency if case else None
        elif target in ESCALATION_TARGETS:
            try:
                unit = org.unit_of_kind(session, ESCALATION_TARGETS[target][0])
            except ServiceError:
                unit = None
        else:
            unit = None
        if unit is None:
            continue
        session.add(
            Reminder(
                instance_id=instance.id,
                task_record_id=host.id if host else None,
                unit_id=unit.id,
                role=role,
                message=message,
                created_at=clock.now(),
            )
        )
        created.append(f"{unit.code}:{role or '*'}")
    audit.record(
        session, "system", "timer.fired", instance_id=instance.id, case_id=instance.case_id,
        timer=timer.bpmn_id, due_at=timer.due_at, reminders=created,
    )  # fmt: skip


def instance_for(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"流程实例不存在：{instance_id}")
    return instance
