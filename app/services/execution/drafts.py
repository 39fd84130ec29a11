"""暂存: a person's unfinished form of a task, kept on the server until the task is done.

A draft is checked for size and shape only (an object of the form's own fields holding text,
numbers, booleans or lists of them), never for required fields: it is unfinished by nature.
Files are not kept in drafts. Completing the task deletes every draft of it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from app import clock, inputs
from app.driver_sql import DriverStatement
from app.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from app.jsontext import dumps
from app.models import TaskDraft, TaskRecord
from app.models.states import TaskStatus
from app.services.actor import Actor
from app.services.execution import task_forms
from app.services.execution.instances import can_work_on, task_schema
from app.services.identity.permissions import Action, require
from app.services.records import archive_store, audit
from app.services.uow import unit_of_work

MAX_DRAFT_BYTES = 64 * 1024
MAX_TEXT = 20_000
_SCALARS = (str, int, float, bool)


def shape_problems(schema: dict[str, Any], data: Any) -> dict[str, list[str]]:
    """What is wrong with a draft's shape, by field ("" for the whole draft)."""
    if not isinstance(data, dict):
        return {"data": ["应为对象"]}
    if len(dumps(data).encode()) > MAX_DRAFT_BYTES:
        return {"data": [f"草稿过大（最多 {MAX_DRAFT_BYTES // 1024} KB）"]}
    fields = set(task_forms.properties(schema)) - set(task_forms.attachment_fields(schema))
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        if key not in fields:
            errors[str(key)] = ["表单中没有此项"]
            continue
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item is not None and not isinstance(item, _SCALARS):
                errors[key] = ["应为文本、数字、是否或其列表"]
                break
            problem = inputs.text_problem(item, MAX_TEXT) if isinstance(item, str) else None
            if problem:
                errors[key] = [problem]
                break
    return errors


def _draftable(session: Session, actor: Actor, task_id: int) -> TaskRecord:
    require(actor.role, Action.WORK)
    task = session.get(TaskRecord, task_id)
    if task is None:
        raise archive_store.not_found(session, "tasks", task_id, "任务不存在或无权办理")
    if not can_work_on(actor, task):
        raise NotFound("任务不存在或无权办理")
    if task.status != TaskStatus.OPEN:
        raise Conflict("任务已办结，草稿不再保存")
    return task


@unit_of_work
def save(session: Session, actor: Actor, task_id: int, data: Any) -> TaskDraft:
    task = _draftable(session, actor, task_id)
    errors = shape_problems(task_schema(session, task), data)
    if errors:
        too_large = any("过大" in m for m in errors.get("data", []))
        raise (PayloadTooLarge if too_large else InvalidInput)("草稿内容有误", errors)
    row = session.scalar(
        select(TaskDraft).where(TaskDraft.task_id == task.id, TaskDraft.user_id == actor.user_id)
    )
    if row is None:
        row = TaskDraft(task_id=task.id, user_id=actor.user_id, data=data, saved_at=clock.now())
        session.add(row)
    else:
        row.data, row.saved_at = data, clock.now()
    # the draft itself is the person's unfinished work: the record names only its fields
    audit.record(
        session, actor, "task.draft", instance_id=task.instance_id, case_id=task.case_id,
        task_id=task.id, fields=sorted(data),
    )  # fmt: skip
    session.flush()
    return row


def mine(session: Session, actor: Actor, task_id: int) -> TaskDraft | None:
    """The actor's draft of a task they may work on (None when there is none)."""
    task = session.get(TaskRecord, task_id)
    if task is None:
        raise archive_store.not_found(session, "tasks", task_id, "任务不存在或无权办理")
    if not can_work_on(actor, task):
        raise NotFound("任务不存在或无权办理")
    return session.scalar(
        select(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.user_id == actor.user_id)
    )


# on the completion path: the ORM's bulk delete cost a seventh of a completion
_DISCARD = DriverStatement(delete(TaskDraft).where(TaskDraft.task_id == bindparam("task_id")))


def discard_all(session: Session, task_id: int) -> None:
    """The task is done: its drafts go (in the completion's transaction)."""
    _DISCARD.run(session.connection(), {"task_id": task_id})
