"""Completing a user task: the submission checked, the engine run, the step written.

An API or web completion runs in two transactions: ``prepare_completion`` validates and runs the
engine in a read transaction (beside other writers: SQLite has one writer at a time), and
``complete_task`` writes the result in the write transaction if the instance and the task are as
the prepare read them, else runs the step again. Called alone, ``complete_task`` does it all in
the caller's write transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class

from app import case_numbers, clock
from app.clocks import system_event
from app.db import Database
from app.driver_sql import DriverStatement
from app.engine import EngineError, TaskNotReady
from app.errors import Conflict, Forbidden, InvalidInput
from app.forms import validate_submission
from app.models import Attachment, ProcessInstance, TaskRecord
from app.models.states import TaskStatus
from app.services.actor import Actor
from app.services.design import definitions
from app.services.execution import (
    claims,
    drafts,
    gates,
    holidays,
    incidents,
    instances,
    matter_titles,
    next_deadline,
    projections,
    row_writes,
    task_forms,
)
from app.services.execution.instances import can_work_on, row_locks, task_schema, working_for
from app.services.execution.workflows import ENGINE, LEAN, EngineRun, StepResult, restore
from app.services.notify import ladder
from app.services.records import archive_store, attachments, audit, documents

# the task and its instance in one round trip (a completion needs both)
_OPEN_OF_INSTANCE = (
    select(func.count(TaskRecord.id))
    .where(TaskRecord.instance_id == ProcessInstance.id, TaskRecord.status == TaskStatus.OPEN)
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
    submitted_at: datetime  # the submission's moment: its record and the task's completed_at
    failed: EngineError | None = None  # the run stopped at a failure: an incident to open


def prepare_completion(
    session: Session, actor: Actor, task_id: int, data: dict[str, Any]
) -> Prepared | None:
    """Check a submission and run the engine for it in a read transaction.

    Restoring the workflow, running it to its next wait and serializing it is most of a
    completion's work and needs nothing but the instance's stored state, so it runs before the
    write transaction, beside other writers (SQLite has one writer at a time). ``complete_task``
    then uses it if the instance is still at the version read here, else runs it again. Invalid
    or refused submissions fail here, before any write lock. None for forms with files (they
    are stored in the write transaction).
    """
    data = case_numbers.in_data(data)
    task, instance, open_count = _completable(session, actor, task_id, lock=False)
    schema = task_schema(session, task, instance)
    if task_forms.attachment_fields(schema):
        return None
    _check_submission(schema, data, {})
    gates.check(session, instance.process_id, task)
    now = clock.now()
    with holidays.in_scope(session):
        workflow, properties, failed = _run_completion(session, instance, task, schema, data, now)
        timers, ready = ENGINE.timers(workflow), ENGINE.ready_user_tasks(workflow)
        run = EngineRun(timers, ready, ENGINE.dump(workflow))
    return Prepared(
        task, instance, open_count, instance.lock_version, dict(data), workflow, properties, run,
        now, failed,
    )  # fmt: skip


def complete_task(
    session: Session,
    actor: Actor,
    task_id: int,
    data: dict[str, Any],
    uploads: dict[str, list[attachments.Upload]] | None = None,
    storage: Path | None = None,
    prepared: Prepared | None = None,
) -> tuple[TaskRecord, StepResult]:
    """Complete one open user task with validated form data, in the caller's transaction.

    The submission is checked against the task's form as pinned by the instance's definition
    version (``app.forms``). Files arrive either as
    ``uploads`` (web form) or, in ``data``, as ids of attachments uploaded before (API).
    ``prepared`` (from ``prepare_completion``) is used when the instance has not changed since.
    """
    data = case_numbers.in_data(data)
    if prepared is not None and not _still_current(session, prepared, task_id, data):
        prepared = None  # another writer changed the instance or the task since: run it again
    if prepared is not None:
        task, instance, open_count = prepared.task, prepared.instance, prepared.open_count
        if not can_work_on(actor, task):
            raise Forbidden("无权办理此任务")
        claims.check_may_complete(session, actor, task)
        session.add_all((task, instance))  # as read in the prepare (and checked just now)
    else:
        task, instance, open_count = _completable(session, actor, task_id, lock=True)
    # the form is read again only when the step runs here: a prepared one has no file fields
    schema = task_schema(session, task, instance) if prepared is None else {}
    data = dict(data)
    uploads = uploads or {}
    stored: list[Attachment] = []
    if prepared is None:
        errors: dict[str, list[str]] = {}
        for name in task_forms.attachment_fields(schema):
            if uploads.get(name):
                errors.update(attachments.check(name, uploads[name]))
                data[name] = [attachments.placeholder(u) for u in uploads[name]]
            elif name in data:
                data[name] = attachments.resolve(session, actor, data[name], name)
        _check_submission(schema, data, errors)
        gates.check(session, instance.process_id, task)
        for name, files in uploads.items():
            if name in data and files:
                if storage is None:
                    raise InvalidInput("附件存储未配置")
                rows = [attachments.store.within(session, actor, storage, f, name) for f in files]
                stored.extend(rows)
                data[name] = [row.as_ref() for row in rows]
    with holidays.in_scope(session):
        if prepared is None:
            now = clock.now()
            workflow, properties, failed = _run_completion(
                session, instance, task, schema, data, now
            )
            run = None
        else:
            workflow, properties, run = prepared.workflow, prepared.properties, prepared.run
            now, failed = prepared.submitted_at, prepared.failed
        row_writes.close_task(
            session,
            task,
            {
                "status": TaskStatus.COMPLETED,
                "completed_at": now,
                "completed_by": working_for(actor, task),
                "data": data,
            },
        )
        audit.covers(session, task)
        drafts.discard_all(session, task.id)
        matter_titles.record(session, task, data)  # e.g. 事项名称, found by the task's readers
        if task.due_at is not None:  # a task without a due date has no ladder steps
            ladder.plan(session, holidays.current(), task, None)  # done: no more reminders
        for name in task_forms.attachment_fields(schema):
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
        instances.forward_thrown(session, instance, result)
        if failed is not None:
            incidents.open_for(session, instance, failed, actor, store=False)
        kinds = [k.strip() for k in properties.get("documents", "").split(",") if k.strip()]
        if kinds:
            documents.render_for_task(
                session,
                instance,
                task,
                kinds,
                ENGINE.task_data(workflow, task.spiff_task_id),
                next_deadline.stated(result, run.timers if run else ENGINE.timers(workflow)),
            )
        for process_id in definitions.starts_of(properties):
            _start_after(session, actor, instance, ENGINE.task_data(workflow, task.spiff_task_id),
                         process_id)  # fmt: skip
    return task, result


def submit(
    db: Database,
    actor: Actor,
    task_id: int,
    data: dict[str, Any],
    uploads: dict[str, list[attachments.Upload]] | None = None,
    storage: Path | None = None,
) -> tuple[TaskRecord, StepResult]:
    """Complete a task, owning the unit of work: the step is computed in a read transaction
    beside other writers (``prepare_completion``), then written in a short write transaction
    (run again there if another writer moved the instance meanwhile). The page and the API
    both complete tasks through here."""
    with db.read() as session:
        ahead = prepare_completion(session, actor, task_id, data) if not uploads else None
    with db.write() as session:
        return complete_task(session, actor, task_id, data, uploads, storage, prepared=ahead)


def _start_after(
    session: Session, actor: Actor, instance: ProcessInstance, data: dict[str, Any], process_id: str
) -> None:
    """A process the completed task starts without waiting for it (task property ``starts``):
    for the same case, with the process data as it stands."""
    definition = definitions.latest_definition(session, process_id, required=False)
    if definition is None:
        raise InvalidInput(f"流程定义要求启动的流程尚未部署：{process_id}")
    handed = {k: v for k, v in data.items() if not k.startswith("_")}
    started = instances.start(
        session, actor, definition, handed, case_id=instance.case_id, unit_id=instance.unit_id
    )
    audit.record(
        session, actor, "instance.started_by_task", instance_id=started.id,
        case_id=instance.case_id, by_instance=instance.id, process_id=process_id,
    )  # fmt: skip


# what a prepared completion must find unchanged (every write of an instance bumps its version;
# a task's unit, role or assignee change without it), and the open task count it used
_CURRENT = DriverStatement(
    select(
        ProcessInstance.lock_version,
        TaskRecord.status,
        TaskRecord.unit_id,
        TaskRecord.role,
        TaskRecord.assignee_id,
        TaskRecord.claimed_by_id,
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
    if row_locks(session):  # queue behind the instance's other writers, then read it
        session.execute(_LOCK_INSTANCE_OF_TASK, {"task_id": task_id})
    now = _CURRENT.first(session.connection(), {"task_id": task_id})
    task = prepared.task
    then = (
        prepared.lock_version, task.status, task.unit_id, task.role, task.assignee_id,
        task.claimed_by_id, task.due_at, prepared.open_count,
    )  # fmt: skip
    return now is not None and tuple(now) == then


def _completable(
    session: Session, actor: Actor, task_id: int, lock: bool
) -> tuple[TaskRecord, ProcessInstance, int]:
    """The open task the actor may complete, its instance, and the instance's open tasks."""
    found: tuple[TaskRecord, ProcessInstance, int] | None
    if lock:  # this transaction's own objects
        if row_locks(session):  # queue behind the instance's other writers, then read it
            session.execute(_LOCK_INSTANCE_OF_TASK, {"task_id": task_id})
        row = session.execute(_TASK_AND_INSTANCE, {"task_id": task_id}).one_or_none()
        found = (row[0], row[1], row[2]) if row is not None else None
    else:  # to be handed on: detached objects made from one Core row, the session untouched
        found = _detached_task_and_instance(session, task_id)
    if found is None:
        raise archive_store.not_found(session, "tasks", task_id, "任务不存在")
    task, instance, open_count = found
    if not can_work_on(actor, task):
        raise Forbidden("无权办理此任务")
    if task.status != TaskStatus.OPEN:
        raise Conflict(claims.completed_message(session, task))
    claims.check_may_complete(session, actor, task)
    return task, instance, open_count


_TASKS, _INSTANCES = TaskRecord.__table__, ProcessInstance.__table__
_TASK_KEYS, _INSTANCE_KEYS = [c.key for c in _TASKS.c], [c.key for c in _INSTANCES.c]
_TASK_AND_INSTANCE_ROW = DriverStatement(
    select(*_TASKS.c, *_INSTANCES.c, _OPEN_OF_INSTANCE)
    .select_from(_TASKS.join(_INSTANCES, _INSTANCES.c.id == _TASKS.c.instance_id))
    .where(_TASKS.c.id == bindparam("task_id"))
)


def _detached_task_and_instance(
    session: Session, task_id: int
) -> tuple[TaskRecord, ProcessInstance, int] | None:
    row = _TASK_AND_INSTANCE_ROW.first(session.connection(), {"task_id": task_id})
    if row is None:
        return None
    split = len(_TASK_KEYS)
    task = _loaded(TaskRecord, dict(zip(_TASK_KEYS, row[:split], strict=True)))
    instance = _loaded(ProcessInstance, dict(zip(_INSTANCE_KEYS, row[split:-1], strict=True)))
    return task, instance, row[-1]


def _loaded(cls: type[Any], values: dict[str, Any]) -> Any:
    """A detached object as if loaded with ``values``: the session that adopts it inserts
    nothing and checks the version it read. (Set as loaded attributes, not through the
    constructor, whose change events cost four times as much.)"""
    obj = manager_of_class(cls).new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    return obj


def _check_submission(
    schema: dict[str, Any], data: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    for name, messages in validate_submission(schema, data).items():
        errors.setdefault(name, []).extend(messages)
    if errors:
        raise InvalidInput("表单填写有误", errors)


def _run_completion(
    session: Session,
    instance: ProcessInstance,
    task: TaskRecord,
    schema: dict[str, Any],
    data: dict[str, Any],
    now: datetime,
) -> tuple[Any, dict[str, str], EngineError | None]:
    """The instance's workflow with the task completed (its submission recorded at ``now``,
    which deadlines may count from) and run to its next wait, or to the step that failed
    (the error returned: the caller opens an incident)."""
    workflow = restore(session, instance)
    properties = ENGINE.task_properties(workflow, task.spiff_task_id)
    engine_data = dict(data)
    chosen = task_forms.lane_choices(schema, data)
    if chosen:
        current = ENGINE.task_data(workflow, task.spiff_task_id).get("lane_owners") or {}
        engine_data["lane_owners"] = {**current, **chosen}
    try:
        submitted = system_event(now, f"“{task.name}”提交", "submitted")
        ENGINE.complete(workflow, task.spiff_task_id, engine_data, submitted.to_dict())
    except TaskNotReady as exc:
        raise Conflict("任务已办结，不能重复提交") from exc
    except EngineError as exc:  # the submission stands; the instance stops at the failure
        if exc.workflow is None:
            raise InvalidInput(f"流程执行出错：{exc.message}") from exc
        return exc.workflow, properties, exc
    return workflow, properties, None
