"""Read models for pages and the API: inboxes, instance views, case lists."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, defer, joinedload, lazyload, selectinload

from app import clock
from app.errors import NotFound
from app.models import (
    Attachment,
    AuditEvent,
    Base,
    Case,
    CourtMessage,
    Document,
    ProcessDefinition,
    ProcessInstance,
    Reminder,
    TaskRecord,
    Timer,
    Unit,
)
from app.models.states import DeadlineState, TaskStatus
from app.services.actor import Actor
from app.services.execution import holidays
from app.services.identity import access
from app.services.identity.permissions import Action, may
from app.services.records import archive_store


def sees_everything(actor: Actor) -> bool:
    return may(actor.role, Action.SEE_ALL_UNITS)


def inbox(
    session: Session, actor: Actor, limit: int = 200, with_instances: bool = False
) -> list[TaskRecord]:
    """The actor's open tasks, and those of the people they substitute for today."""
    rows = _own_inbox(session, actor, limit, with_instances)
    for absent in actor.acting_for:
        seen = {t.id for t in rows}
        rows += [t for t in _own_inbox(session, absent, limit, with_instances) if t.id not in seen]
    if actor.acting_for:
        far = datetime.max.replace(tzinfo=clock.SHANGHAI)
        rows.sort(key=lambda t: (t.due_at or far, t.id))
    return rows[:limit]


def _own_inbox(
    session: Session, actor: Actor, limit: int, with_instances: bool
) -> list[TaskRecord]:
    """The open tasks of the actor's unit (and role, where a task names one), soonest due first."""
    if actor.unit_id is None or not may(actor.role, Action.WORK):
        return []
    # the lists show no submitted or prefilled data (read on demand if a caller does)
    mine = select(TaskRecord).options(defer(TaskRecord.data), defer(TaskRecord.prefill))
    if with_instances:  # the page names each task's process: its name and summary only, not
        # the engine state and the definition's spec (~100 KiB a row) of up to 200 instances
        mine = mine.options(
            selectinload(TaskRecord.instance)
            .load_only(ProcessInstance.summary, ProcessInstance.definition_id)
            .options(
                joinedload(ProcessInstance.definition).load_only(ProcessDefinition.name),
                lazyload(ProcessInstance.unit),  # the task row has its own unit and case
                lazyload(ProcessInstance.case),
            )
        )
    mine = mine.where(
        TaskRecord.unit_id == actor.unit_id,
        TaskRecord.status == TaskStatus.OPEN,
        or_(TaskRecord.role.is_(None), TaskRecord.role == actor.role),
        or_(TaskRecord.assignee_id.is_(None), TaskRecord.assignee_id == actor.user_id),
    )
    # Two queries that each follow ix_tasks_inbox (unit, status, due_at): one ORDER BY over
    # "due_at IS NULL, due_at" would sort every open task of the unit.
    dated = list(
        session.scalars(
            mine.where(TaskRecord.due_at.is_not(None))
            .order_by(TaskRecord.due_at, TaskRecord.id)
            .limit(limit)
        )
    )
    if len(dated) >= limit:
        return dated
    undated = session.scalars(
        mine.where(TaskRecord.due_at.is_(None)).order_by(TaskRecord.id).limit(limit - len(dated))
    )
    return dated + list(undated)


def reminders(session: Session, actor: Actor, limit: int = 50) -> list[Reminder]:
    if actor.unit_id is None:
        return []
    stmt = (
        select(Reminder)
        .where(
            Reminder.unit_id == actor.unit_id,
            or_(Reminder.role.is_(None), Reminder.role == actor.role),
        )
        .order_by(Reminder.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def is_overdue(due_at: datetime | None, now: datetime | None = None) -> bool:
    return due_at is not None and due_at < (now or clock.now())


def working_days_left(session: Session, due_at: datetime | None) -> int | None:
    """Working days from today until the due date (0 = due today, negative = late)."""
    return working_days_left_each(session, [due_at])[0]


def working_days_left_each(session: Session, due: list[datetime | None]) -> list[int | None]:
    """``working_days_left`` of each, the calendar read once (not once a row of a list)."""
    if all(d is None for d in due):
        return [None] * len(due)
    cal = holidays.load(session)
    today = clock.local_now().date()
    return [None if d is None else _days_between(cal, today, clock.to_local(d).date()) for d in due]


def _days_between(cal: holidays.WorkCalendar, today: date, due: date) -> int:
    if due == today:
        return 0
    step = 1 if due > today else -1
    count, day = 0, today
    while day != due:
        day += timedelta(days=step)
        if cal.is_workday(day):
            count += step
    return count


def deadline_state(task: TaskRecord, now: datetime) -> DeadlineState | None:
    """Where a task stands against its deadline; None for a task without one."""
    if task.status == TaskStatus.OPEN and task.deadline_suspended:
        return DeadlineState.SUSPENDED
    if task.due_at is None:
        return None
    if task.status == TaskStatus.COMPLETED and task.completed_at is not None:
        return DeadlineState.MET if task.completed_at <= task.due_at else DeadlineState.LATE
    if task.status == TaskStatus.OPEN:
        return DeadlineState.LATE if task.due_at < now else DeadlineState.OPEN
    return None


def can_see_instance(session: Session, actor: Actor, instance: ProcessInstance) -> bool:
    if sees_everything(actor):
        return True
    if actor.unit_id is None or not may(actor.role, Action.READ):
        return False
    if instance.case_id is not None:
        case = session.get(Case, instance.case_id)
        if case is not None and case.agency_unit_id == actor.unit_id:
            return True
    return (
        session.scalar(
            select(TaskRecord.id)
            .where(TaskRecord.instance_id == instance.id, TaskRecord.unit_id == actor.unit_id)
            .limit(1)
        )
        is not None
    )


@dataclass
class InstanceView:
    """An instance as one actor sees it: every task row, and the content of the tasks they may
    read (``readable``); documents are only those of readable tasks."""

    instance: ProcessInstance
    case: Case | None
    tasks: list[TaskRecord]
    timers: list[Timer]
    documents: list[Document]
    events: list[AuditEvent]
    messages: list[CourtMessage] = field(default_factory=list)
    readable: frozenset[int] = frozenset()  # ids of the tasks whose content the actor reads
    # what the actor may not read, by the key an audit event names it with: task_id,
    # document_id, attachment_id -> ids
    hidden: dict[str, frozenset[int]] = field(default_factory=dict)
    archived: bool = False  # read from the archive (已归档): read only

    def data_of(self, task: TaskRecord) -> dict[str, Any] | None:
        return task.data if task.id in self.readable else None

    def event_detail(self, event: AuditEvent) -> dict[str, Any] | None:
        """The event's detail, or None when it is about a task the actor may not read, or a
        document or attachment such a task produced (a completion carries the submitted data,
        a reason may describe it, a download names the file)."""
        detail = event.detail or {}
        for key, ids in self.hidden.items():
            if detail.get(key) in ids:
                return None
        return event.detail


def instance_view(session: Session, actor: Actor, instance_id: int) -> InstanceView:
    """The instance as the actor may read it, from the main tables or else the archive."""
    if archived(session, ProcessInstance, instance_id):
        with archive_store.archive_first(session):
            view = _instance_view(session, actor, instance_id)
        view.archived = True
        return view
    return _instance_view(session, actor, instance_id)


def archived(session: Session, model: type[Base], row_id: int) -> bool:
    """Row ``row_id`` of ``model`` is not in the main tables but in the archive."""
    name = model.__tablename__
    return session.get(model, row_id) is None and archive_store.holds(session, name, row_id)


def _instance_view(session: Session, actor: Actor, instance_id: int) -> InstanceView:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None or not can_see_instance(session, actor, instance):
        raise NotFound("流程实例不存在或无权查看")
    case = session.get(Case, instance.case_id) if instance.case_id else None
    tasks = list(
        session.scalars(
            select(TaskRecord).where(TaskRecord.instance_id == instance.id).order_by(TaskRecord.id)
        )
    )
    reading = access.reading(session, actor, instance, tasks)
    readable = frozenset(t.id for t in tasks if reading.task(t))
    timers = list(
        session.scalars(select(Timer).where(Timer.instance_id == instance.id).order_by(Timer.id))
    )
    hidden_tasks = frozenset(t.id for t in tasks) - readable
    docs, hidden_docs = [], set()
    for doc in session.scalars(
        select(Document).where(Document.instance_id == instance.id).order_by(Document.id)
    ):
        if doc.task_record_id in hidden_tasks:
            hidden_docs.add(doc.id)
        else:
            docs.append(doc)
    hidden_files = (
        frozenset(
            session.scalars(
                select(Attachment.id).where(
                    Attachment.instance_id == instance.id,
                    Attachment.task_record_id.in_(hidden_tasks),
                )
            )
        )
        if hidden_tasks
        else frozenset()
    )
    events = list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == instance.id).order_by(AuditEvent.id)
        )
    )
    messages = []
    if instance.case_id is not None:
        messages = [
            m
            for m in session.scalars(
                select(CourtMessage)
                .where(CourtMessage.case_id == instance.case_id)
                .order_by(CourtMessage.id)
            )
            if instance.id in (m.delivered_to or []) or instance.id in (m.started or [])
        ]
    hidden = {
        "task_id": hidden_tasks,
        "document_id": frozenset(hidden_docs),
        "attachment_id": hidden_files,
    }
    return InstanceView(instance, case, tasks, timers, docs, events, messages, readable, hidden)


def _task_readable(session: Session, actor: Actor, task_id: int | None) -> bool:
    """A document or attachment is read as the task that produced it is (none: its instance)."""
    if task_id is None:
        return True
    task = session.get(TaskRecord, task_id)
    return task is not None and access.may_read_task(session, actor, task)


def document_for(session: Session, actor: Actor, document_id: int) -> Document:
    """The document if the actor may read it (an archived one too)."""
    if archived(session, Document, document_id):
        with archive_store.archive_first(session):
            return _document_for(session, actor, document_id)
    return _document_for(session, actor, document_id)


def _document_for(session: Session, actor: Actor, document_id: int) -> Document:
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound("文书不存在或无权查看")
    instance = session.get(ProcessInstance, doc.instance_id)
    if (
        instance is None
        or not can_see_instance(session, actor, instance)
        or not _task_readable(session, actor, doc.task_record_id)
    ):
        raise NotFound("文书不存在或无权查看")
    return doc


def attachment_for(session: Session, actor: Actor, attachment_id: int) -> Attachment:
    """The attachment's row if the actor may read it (an archived one too: its file stays)."""
    if archived(session, Attachment, attachment_id):
        with archive_store.archive_first(session):
            return _attachment_for(session, actor, attachment_id)
    return _attachment_for(session, actor, attachment_id)


def _attachment_for(session: Session, actor: Actor, attachment_id: int) -> Attachment:
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("附件不存在或无权查看")
    if row.instance_id is None:
        if row.created_by != actor.username:
            raise NotFound("附件不存在或无权查看")
        return row
    instance = session.get(ProcessInstance, row.instance_id)
    if (
        instance is None
        or not can_see_instance(session, actor, instance)
        or not _task_readable(session, actor, row.task_record_id)
    ):
        raise NotFound("附件不存在或无权查看")
    return row


def all_units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).order_by(Unit.kind, Unit.code)))


def agencies(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).where(Unit.kind == "agency").order_by(Unit.code)))


_UNIT_CODE = select(Unit.code).where(Unit.id == bindparam("unit_id"))


# per database engine, unit id -> code (a unit's code never changes once it is added)
_unit_codes: weakref.WeakKeyDictionary[Any, dict[int, str]] = weakref.WeakKeyDictionary()


def _unit_code(session: Session, task: TaskRecord) -> str | None:
    """The task's unit code without loading its unit (the write path loads task rows lean, and
    an ORM lazy load cost a tenth of a completion through the API)."""
    if task.unit_id is None:
        return None
    codes = _unit_codes.setdefault(session.get_bind(), {})
    code = codes.get(task.unit_id)
    if code is None:
        code = session.connection().execute(_UNIT_CODE, {"unit_id": task.unit_id}).scalar_one()
        codes[task.unit_id] = code
    return code


def task_json(session: Session, task: TaskRecord) -> dict[str, Any]:
    return {
        "id": task.id,
        "name": task.name,
        "bpmn_id": task.bpmn_id,
        "instance_id": task.instance_id,
        "case_id": task.case_id,
        "unit": _unit_code(session, task),
        "status": task.status,
        "created_at": task.created_at.isoformat(),
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "due_rule": task.due_rule or None,
        "overdue": task.status == TaskStatus.OPEN and is_overdue(task.due_at),
        "provisional": task.provisional,
    }
