"""A matter's title (事项名称) kept for the inbox search, with the task that submitted it.

A form field named ``title`` holds what a matter is called (合法性审查's 事项名称). It is not
copied into the instance's summary, which every participant of the instance sees: the task
that wrote it decides who may find the instance by it (``reporting.inbox``, asking
``identity.access``). One row per completed task that submitted a title, written in the
completion's own transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from app.driver_sql import DriverStatement
from app.models import MatterTitle, TaskRecord

TITLE_FIELD = "title"
MAX_TITLE = 200

_TITLES: Table = MatterTitle.__table__  # type: ignore[assignment]
_INSERT = DriverStatement(insert(_TITLES))


def title_of(data: dict[str, Any]) -> str:
    value = data.get(TITLE_FIELD)
    return value.strip()[:MAX_TITLE] if isinstance(value, str) else ""


def record(session: Session, task: TaskRecord, data: dict[str, Any]) -> None:
    """Keep the title a completed task submitted, if it submitted one."""
    title = title_of(data)
    if title:
        _INSERT.run(
            session.connection(),
            {"task_id": task.id, "instance_id": task.instance_id, "title": title},
        )
