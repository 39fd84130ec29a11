"""Running instances: start, complete a task, deliver a message, let timers fire.

Each step runs the engine, then ``projections`` brings task rows, timers and the stored state
in line with the workflow. Every public function runs inside the caller's write transaction and
appends its audit event there, so a change and its record commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.exc import StaleDataError

from app import clock
from app.engine import EngineError, TaskNotReady
from app.models import Attachment, ProcessDefinition, ProcessInstance, TaskRecord
from app.services import (
    attachments,
    audit,
    calendar,
    documents,
    forms,
    gates,
    ladder,
    projections,
)
from app.services.actor import Actor
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.services.workflows import (  # noqa: F401 (ENGINE and StepResult: part of this API)
    ENGINE,
    LEAN,
    EngineRun,
    StepResult,
    pinned_definition,
)

READ_ONLY_ROLES = {"auditor", "court"}


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
        projections.insert_row(session, instance)
        audit.record(
            session, actor, "instance.start", instance_id=instance.id, case_id=case_id,
            process_id=definition.process_id, version=definition.version,
        )  # fmt: skip
        # a new instance has no open tasks yet
        projections.sync(session, instance, workflow, others_open=False)
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


def task_schema(
    session: Session, task: TaskRecord, instance: ProcessInstance | None = None
) -> dict[str, Any]:
    """The task's form as pinned by its instance's definition version, options resolved."""
    instance = instance or session.get(ProcessInstance, task.instance_id)
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
    schema = task_schema(session, task, instance)
    if forms.attachment_fields(schema):
        return None
    _check_submission(schema, data, validate, {})
    gates.check(session, instance.process_id, task)
    with calendar.in_scope(session):
        workflow, properties = _run_completion(session, instance, task, schema, data)
        timers, ready = ENGINE.timers(workflow), ENGINE.ready_user_tasks(workflow)
        run = EngineRun(timers, ready, ENGINE.dump(workflow))
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
    schema = task_schema(session, task, instance)
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
        projections.close_task(
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
        # the instance's only open task was this one: sync need not look for others
        result = projections.save(session, instance, workflow, others_open=open_count > 1, run=run)
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
    if lock:  # this transaction's own objects
        if _row_locks(session):  # queue behind the instance's other writers, then read it
            session.execute(_LOCK_INSTANCE_OF_TASK, {"task_id": task_id})
        found = session.execute(_TASK_AND_INSTANCE, {"task_id": task_id}).one_or_none()
    else:  # to be handed on: detached objects made from one Core row, the session untouched
        found = _detached_task_and_instance(session, task_id)
    if found is None:
        raise NotFound("任务不存在")
    task, instance, open_count = found
    if not can_work_on(actor, task):
        raise Forbidden("无权办理此任务")
    if task.status != "open":
        raise Conflict("任务已办结，不能重复提交")
    return task, instance, open_count


_TASKS, _INSTANCES = TaskRecord.__table__, ProcessInstance.__table__
_TASK_AND_INSTANCE_ROW = (
    select(
        *(c.label(f"t_{c.key}") for c in _TASKS.c),
        *(c.label(f"i_{c.key}") for c in _INSTANCES.c),
        _OPEN_OF_INSTANCE,
    )
    .select_from(_TASKS.join(_INSTANCES, _INSTANCES.c.id == _TASKS.c.instance_id))
    .where(_TASKS.c.id == bindparam("task_id"))
)


def _detached_task_and_instance(
    session: Session, task_id: int
) -> tuple[TaskRecord, ProcessInstance, int] | None:
    row = session.connection().execute(_TASK_AND_INSTANCE_ROW, {"task_id": task_id}).first()
    if row is None:
        return None
    values = row._mapping
    task = TaskRecord(**{c.key: values[f"t_{c.key}"] for c in _TASKS.c})
    instance = ProcessInstance(**{c.key: values[f"i_{c.key}"] for c in _INSTANCES.c})
    make_transient_to_detached(task)  # as if loaded: the session that adopts them inserts
    make_transient_to_detached(instance)  # nothing and checks the version it read
    return task, instance, row[-1]


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
        projections.save(session, instance, workflow)
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
        return projections.save(session, instance, workflow)


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
        return projections.save(session, instance, workflow)


def instance_for(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"流程实例不存在：{instance_id}")
    return instance
