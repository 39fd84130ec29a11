"""Starting instances and completing tasks through the service layer, one transaction each."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from app.db import Database
from app.models import ProcessDefinition, TaskRecord
from app.services.actor import Actor
from app.services.execution import completion, instances
from quickbench.common import FORM_DATA, SEQUENCE_STEPS


def open_task_id(db: Database, instance_id: int) -> int:
    with db.read() as session:
        task_id = session.scalar(
            select(TaskRecord.id).where(
                TaskRecord.instance_id == instance_id, TaskRecord.status == "open"
            )
        )
    assert task_id is not None
    return task_id


def service_start(db: Database, actor: Actor, definition_id: int, data: dict[str, Any]) -> int:
    """Start an instance in one transaction; returns the instance id."""
    with db.write() as session:
        definition = session.get(ProcessDefinition, definition_id)
        assert definition is not None
        return instances.start(session, actor, definition, dict(data)).id


def service_complete(db: Database, actor: Actor, task_id: int) -> int | None:
    """Complete one task in one transaction; returns the next open task's id, if any."""
    with db.write() as session:
        _, result = completion.complete_task(session, actor, task_id, FORM_DATA)
        return result.new_tasks[0].id if result.new_tasks else None


def service_instance(db: Database, actor: Actor, definition_id: int) -> tuple[float, float, int]:
    """One sequence instance through the service: (start seconds, completion seconds, steps)."""
    t = time.perf_counter()
    instance_id = service_start(db, actor, definition_id, {})
    task_id: int | None = open_task_id(db, instance_id)
    started = time.perf_counter()
    steps = 0
    while task_id is not None:
        task_id = service_complete(db, actor, task_id)
        steps += 1
    assert steps == SEQUENCE_STEPS, steps
    return started - t, time.perf_counter() - started, steps
