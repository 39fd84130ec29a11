"""办理意见: remarks on a task, read by whoever may read the task (``access``).

Each comment is also an audit event of the task's instance, so it stays in the instance's
history with the rest of what happened.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, inputs
from app.errors import InvalidInput, NotFound
from app.models import ProcessInstance, TaskComment, TaskRecord
from app.services.actor import Actor
from app.services.identity import access
from app.services.identity.permissions import Action, require
from app.services.records import archive_store, audit
from app.services.reporting.queries import can_see_instance
from app.services.uow import unit_of_work

MAX_COMMENT = 2000


def _readable_task(session: Session, actor: Actor, task_id: int) -> TaskRecord:
    """The task, when the actor may read what it holds; 404 alike for missing and hidden."""
    task = session.get(TaskRecord, task_id)
    if task is None:
        raise archive_store.not_found(session, "tasks", task_id, "任务不存在或无权查看")
    instance = session.get(ProcessInstance, task.instance_id)
    if (
        instance is None
        or not can_see_instance(session, actor, instance)
        or not access.may_read_task(session, actor, task)
    ):
        raise NotFound("任务不存在或无权查看")
    return task


def may_read(session: Session, actor: Actor, task_id: int) -> bool:
    try:
        _readable_task(session, actor, task_id)
    except NotFound:
        return False
    return True


def for_task(session: Session, actor: Actor, task_id: int) -> list[TaskComment]:
    _readable_task(session, actor, task_id)
    return list(
        session.scalars(
            select(TaskComment).where(TaskComment.task_id == task_id).order_by(TaskComment.id)
        )
    )


@unit_of_work
def add(session: Session, actor: Actor, task_id: int, body: str) -> TaskComment:
    require(actor.role, Action.COMMENT)
    task = _readable_task(session, actor, task_id)
    text = body.replace("\r\n", "\n").strip()
    problem = "此项为必填项" if not text else inputs.text_problem(text, MAX_COMMENT)
    if problem:
        raise InvalidInput(f"办理意见：{problem}", {"body": [problem]})
    if actor.user_id is None:
        raise InvalidInput("只有用户本人可以填写办理意见")
    row = TaskComment(
        task_id=task.id, instance_id=task.instance_id, user_id=actor.user_id, body=text,
        created_at=clock.now(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(
        session, actor, "task.comment", instance_id=task.instance_id, case_id=task.case_id,
        task_id=task.id, comment_id=row.id, body=text,
    )  # fmt: skip
    return row
