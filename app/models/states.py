"""The states a task, an instance, a timer and a deadline can be in.

Stored as their string values (``TaskStatus.OPEN == "open"``), so the columns stay plain text
and older rows read the same.
"""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # its instance ended, was cancelled or migrated past it


class InstanceStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # withdrawn (e.g. a judgment reversed on appeal)
    ERROR = "error"  # a script or expression failed (before incidents: none are made now)
    INCIDENT = "incident"  # stopped by a run-time error until a process owner retries it


class TimerStatus(StrEnum):
    WAITING = "waiting"
    SUSPENDED = "suspended"  # 中止: parked until resumed
    FIRED = "fired"
    CANCELLED = "cancelled"


class DeadlineState(StrEnum):
    """A task's deadline as the people timed by it see it."""

    OPEN = "open"  # still running, not yet passed
    SUSPENDED = "suspended"  # 中止
    MET = "met"  # done on time
    LATE = "late"  # passed before the task was done


class VerificationScope(StrEnum):
    """What an audit-chain verification read."""

    NEW = "new"  # the events after the newest verified checkpoint
    FULL = "full"  # the whole chain
    DEEP = "deep"  # the whole chain and the audited tables against it


INSTANCE_STATUS_LABELS = {
    InstanceStatus.RUNNING: "进行中",
    InstanceStatus.COMPLETED: "已办结",
    InstanceStatus.CANCELLED: "已撤销",
    InstanceStatus.ERROR: "出错",
    InstanceStatus.INCIDENT: "故障待处理",
}
