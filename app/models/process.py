"""Definitions, instances and their query projections (tasks, timers, reminders)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime
from app.models.states import InstanceStatus, TaskStatus, TimerStatus


class ProcessDefinition(Base):
    """One immutable deployed version of a BPMN process (with the forms it names)."""

    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)  # only for viewers and exports
    sha256: Mapped[str] = mapped_column(String(64))
    spec_json: Mapped[str] = mapped_column(Text)  # serialized SpiffWorkflow spec
    forms: Mapped[dict[str, Any]] = mapped_column(JSON)  # form file name -> JSON Schema
    # DMN file name -> XML: the decision tables its business rule tasks call, as deployed
    decisions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deployed_by: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    start_lane: Mapped[str] = mapped_column(String(100), default="")  # who may start it


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    # the instance list is newest first: (filter, id) reads one page of a unit, process or
    # status in index order (a sort of every match of twenty years otherwise)
    __table_args__ = (
        Index("ix_process_instances_unit_newest", "unit_id", "id"),
        Index("ix_process_instances_process_newest", "process_id", "id"),
        Index("ix_process_instances_status_newest", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(100))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # 承办单位
    status: Mapped[str] = mapped_column(String(16), default=InstanceStatus.RUNNING)
    state: Mapped[str] = mapped_column(Text)  # SpiffWorkflow workflow state, without the spec
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    started_by: Mapped[str] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    summary: Mapped[str] = mapped_column(String(300), default="")  # what it is about, for lists
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    definition: Mapped[ProcessDefinition] = relationship(lazy="joined")
    unit = relationship("Unit", lazy="joined")
    case = relationship("Case", lazy="joined")

    __mapper_args__ = {"version_id_col": lock_version}


class TaskRecord(Base):
    """A user task as people see it: inbox row while open, history row once done."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_inbox", "unit_id", "status", "due_at"),
        Index("ix_tasks_instance_spiff", "instance_id", "spiff_task_id"),
        Index("ix_tasks_status_due", "status", "due_at"),
        # the inbox filtered by process, and by the tasks one claimed, in due order
        Index("ix_tasks_inbox_process", "unit_id", "status", "process_id", "due_at"),
        Index("ix_tasks_claimed", "claimed_by_id", "unit_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # its instance's process (copied: the inbox filters and counts by it without a join)
    process_id: Mapped[str] = mapped_column(String(100), default="", server_default="")
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str] = mapped_column(String(100), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str | None] = mapped_column(String(32), default=None)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    form: Mapped[str | None] = mapped_column(String(200), default=None)
    # what the diagram tells whoever works it (instructionsForEndUser, as rendered when ready)
    instructions: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default=TaskStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    due_rule: Mapped[str] = mapped_column(Text, default="")  # why the due date is what it is
    # where the period comes from: "text" (the ten mechanisms' own rule), "local" (本地规则,
    # a limit the text does not set), "" (not said): the deadline timer's property ``basis``
    due_basis: Mapped[str] = mapped_column(String(16), default="", server_default="")
    provisional: Mapped[bool] = mapped_column(default=False)
    # 中止: the deadline is suspended (due_at is then empty until it is resumed)
    deadline_suspended: Mapped[bool] = mapped_column(default=False, server_default=false())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    completed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # as submitted
    prefill: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # from process data
    # 认领: the one person of the unit working on it now (others see who, and may take it over)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    unit = relationship("Unit", lazy="joined")
    case = relationship("Case", lazy="joined")
    assignee = relationship("User", lazy="joined", foreign_keys=[assignee_id])
    claimant = relationship("User", lazy="select", foreign_keys=[claimed_by_id])
    instance = relationship("ProcessInstance", lazy="select")


class Timer(Base):
    """A waiting timer event, indexed by due time so a pass never loads idle instances."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    task_record_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), default=None)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    provisional: Mapped[bool] = mapped_column(default=False)
    explanation: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=TimerStatus.WAITING)
    # deadline (the task's due date) / reminder / milestone: the timer property ``purpose``
    purpose: Mapped[str] = mapped_column(String(16), default="deadline", server_default="deadline")
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Reminder(Base):
    """A 催办 (reminder) raised when a deadline passes, for a unit (and optionally one role)."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_unit_newest", "unit_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    task_record_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), default=None)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str | None] = mapped_column(String(32), default=None)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    task = relationship("TaskRecord", lazy="joined")
    unit = relationship("Unit", lazy="joined")


class LadderStep(Base):
    """One rung of a task's reminder ladder: 提醒 before the deadline, 催办 to the head when it
    passes, 督办 escalation to the center or bureau a working day later."""

    __tablename__ = "ladder_steps"
    __table_args__ = (Index("ix_ladder_due", "fired_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_record_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    step: Mapped[str] = mapped_column(String(16))  # reminder / head / escalation
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    task = relationship("TaskRecord", lazy="joined")


class Notification(Base):
    """An in-app notification for one person (unread until they open their list)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        Index("ix_notifications_user_newest", "user_id", "id"),  # the list, newest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    task_record_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), default=None)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class MailOutbox(Base):
    """Every e-mail the product sent (or tried to): batched notifications and digests."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    error: Mapped[str] = mapped_column(Text, default="")
