"""What auditors inspect: the instance list, an instance's full record, and its dossier."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app import case_numbers, clock, inputs
from app.errors import InvalidInput
from app.models import Case, ProcessDefinition, ProcessInstance, TaskRecord, Unit
from app.models.states import INSTANCE_STATUS_LABELS, TaskStatus, TimerStatus
from app.services.actor import Actor
from app.services.execution import holidays
from app.services.execution.instances import ENGINE
from app.services.records import archive_store
from app.services.reporting import queries

PAGE_SIZE = 50
CASE_MATCHES = 500  # a fragment of a case number lists the instances of this many cases
STATUSES = INSTANCE_STATUS_LABELS


FILTER_LABELS = {"status": "状态", "started_from": "启动日期（起）", "started_to": "启动日期（止）"}


@dataclass
class InstanceFilter:
    process_id: str = ""
    unit: str = ""  # unit code
    status: str = ""
    overdue: bool = False
    case_no: str = ""
    started_from: date | None = None
    started_to: date | None = None
    archived: bool = False  # 含归档: the archive's instances too

    @classmethod
    def parse(cls, args: Any) -> InstanceFilter:
        """The list's filters from a query string; every bad one named at once."""
        errors: dict[str, list[str]] = {}

        def day(name: str) -> date | None:
            raw = (args.get(name) or "").strip()
            if not raw:
                return None
            try:
                return inputs.parse_day(raw)
            except inputs.DateInputError as exc:
                errors[name] = [str(exc)]
                return None

        status = (args.get("status") or "").strip()
        if status and status not in STATUSES:
            errors["status"] = ["未知的状态"]
        started_from, started_to = day("started_from"), day("started_to")
        if errors:
            said = "；".join(f"{FILTER_LABELS[k]}：{v[0]}" for k, v in errors.items())
            raise InvalidInput(f"筛选条件有误（{said}）", errors)
        return cls(
            process_id=(args.get("process_id") or "").strip(),
            unit=(args.get("unit") or "").strip(),
            status=status,
            overdue=(args.get("overdue") or "") in {"1", "true", "on"},
            case_no=(args.get("case_no") or "").strip(),
            started_from=started_from,
            started_to=started_to,
            archived=(args.get("archived") or "") in {"1", "true", "on"},
        )


@dataclass
class InstancePage:
    rows: list[ProcessInstance]
    overdue_ids: set[int]
    next_before: int | None  # keyset cursor: pass as ?before= for the next page
    archived_ids: set[int] = field(default_factory=set)  # rows read from the archive


def _local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), clock.SHANGHAI).astimezone(clock.UTC)


def _overdue_ids(now: datetime) -> Select[int]:
    return select(TaskRecord.instance_id).where(
        TaskRecord.status == TaskStatus.OPEN, TaskRecord.due_at < now
    )


def _cases_numbered(session: Session, text: str) -> list[int]:
    """The cases whose number is ``text`` (any spelling), else the newest ``CASE_MATCHES`` whose
    number contains it. Found first, so the instances are read through their case index: joined
    to the list's newest-first order, a rare number made it walk every instance."""
    number = case_numbers.normalize(text)  # a court's case number, any spelling
    exact = list(session.scalars(select(Case.id).where(Case.case_no.in_({number, text}))))
    if exact:
        return exact
    return list(
        session.scalars(
            select(Case.id)
            .where(or_(Case.case_no.contains(number), Case.case_no.contains(text)))
            .order_by(Case.id.desc())
            .limit(CASE_MATCHES)
        )
    )


def list_instances(
    session: Session, actor: Actor, flt: InstanceFilter, before: int | None = None
) -> InstancePage:
    """Newest first, keyset-paged by id so page N costs the same as page 1. The archive is
    read when asked (``flt.archived``), or when a case number names no case of the main
    tables (an auditor looking a case up needs not know it was archived)."""
    now = clock.now()
    numbered = _cases_numbered(session, flt.case_no) if flt.case_no else None
    rows = _newest(session, actor, flt, before, now, numbered)
    archived: list[ProcessInstance] = []
    if (flt.archived or numbered == []) and archive_store.ready(session.connection()):
        with archive_store.archive_first(session):
            numbered = _cases_numbered(session, flt.case_no) if flt.case_no else None
            archived = _newest(session, actor, flt, before, now, numbered)
    if archived:
        rows = sorted(rows + archived, key=lambda r: r.id, reverse=True)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    ids = [r.id for r in rows]
    overdue = (
        set(session.scalars(_overdue_ids(now).where(TaskRecord.instance_id.in_(ids))))
        if ids
        else set()
    )
    return InstancePage(
        rows, overdue, rows[-1].id if more and rows else None, {r.id for r in archived} & set(ids)
    )


def _newest(
    session: Session, actor: Actor, flt: InstanceFilter, before: int | None, now: datetime,
    numbered: list[int] | None,
) -> list[ProcessInstance]:  # fmt: skip
    """One page (and one more row) of the instances matching ``flt`` (of the cases
    ``numbered``, given a case number), newest first."""
    stmt = select(ProcessInstance).order_by(ProcessInstance.id.desc()).limit(PAGE_SIZE + 1)
    if not queries.sees_everything(actor):
        stmt = stmt.where(ProcessInstance.unit_id == actor.unit_id)
    if before is not None:
        stmt = stmt.where(ProcessInstance.id < before)
    if flt.process_id:
        stmt = stmt.where(ProcessInstance.process_id == flt.process_id)
    if flt.unit:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == flt.unit))
        stmt = stmt.where(ProcessInstance.unit_id == (unit_id or -1))
    if flt.status:
        stmt = stmt.where(ProcessInstance.status == flt.status)
    if flt.overdue:  # read first (open tasks, by index): as a subquery of the newest-first
        # list, a district with few overdue instances had every instance walked to find them
        overdue_now = set(session.scalars(_overdue_ids(now)))
        stmt = stmt.where(ProcessInstance.id.in_(sorted(overdue_now)))
    if numbered is not None:
        stmt = stmt.where(ProcessInstance.case_id.in_(numbered))
    if flt.started_from:
        stmt = stmt.where(ProcessInstance.started_at >= _local_midnight_utc(flt.started_from))
    if flt.started_to:
        end = _local_midnight_utc(flt.started_to + timedelta(days=1))
        stmt = stmt.where(ProcessInstance.started_at < end)
    return list(session.scalars(stmt))


def process_choices(session: Session) -> list[tuple[str, str]]:
    latest = (
        select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("v"))
        .group_by(ProcessDefinition.process_id)
        .subquery()
    )
    rows = session.execute(
        select(ProcessDefinition.process_id, ProcessDefinition.name).join(
            latest,
            (latest.c.process_id == ProcessDefinition.process_id)
            & (latest.c.v == ProcessDefinition.version),
        )
    )
    return sorted((r.process_id, r.name) for r in rows)


@dataclass
class HistoryStep:
    task: TaskRecord
    submitted: dict[str, Any]  # empty when the actor may not read the task
    added: list[str]  # fields the process data did not have before this step
    changed: dict[str, tuple[Any, Any]]  # field -> (before, after) where a value was replaced
    late_working_days: int | None
    readable: bool = True


@dataclass
class Inspection:
    view: queries.InstanceView
    steps: list[HistoryStep]
    element_states: dict[str, str]
    timer_lateness: dict[int, int | None] = field(default_factory=dict)


def data_changes(
    known: dict[str, Any], submitted: dict[str, Any]
) -> tuple[list[str], dict[str, tuple[Any, Any]]]:
    """What a submission did to the process data: fields added, and fields replaced."""
    added = [k for k in submitted if k not in known]
    changed = {k: (known[k], v) for k, v in submitted.items() if k in known and known[k] != v}
    return added, changed


def working_days_between(session: Session, due_at: datetime, done_at: datetime) -> int:
    """Working days by which ``done_at`` is after ``due_at`` (0 when on time)."""
    cal = holidays.load(session)
    due, done = clock.to_local(due_at).date(), clock.to_local(done_at).date()
    if done_at <= due_at or done <= due:
        return 0
    count, day = 0, due
    while day < done:
        day += timedelta(days=1)
        if cal.is_workday(day):
            count += 1
    return max(count, 1)


def inspect(session: Session, actor: Actor, instance_id: int) -> Inspection:
    """The instance's record as the actor may read it: the data diff of each readable step is
    taken against what the readable steps before it submitted, so a hidden step's values show
    neither as its own nor as a later step's "before"."""
    view = queries.instance_view(session, actor, instance_id)
    known: dict[str, Any] = {}
    steps = []
    now = clock.now()
    for task in view.tasks:
        readable = task.id in view.readable
        submitted = (task.data or {}) if readable else {}
        added, changed = data_changes(known, submitted)
        known.update(submitted)
        late = None
        if task.due_at is not None:
            end = task.completed_at or (now if task.status == TaskStatus.OPEN else None)
            late = working_days_between(session, task.due_at, end) if end else None
        steps.append(HistoryStep(task, submitted, added, changed, late, readable))
    states = element_states(session, view.instance, view.tasks)
    lateness: dict[int, int | None] = {}
    for timer in view.timers:
        if timer.status == TimerStatus.FIRED:
            host = next((t for t in view.tasks if t.id == timer.task_record_id), None)
            end = host.completed_at if host and host.completed_at else now
            lateness[timer.id] = working_days_between(session, timer.due_at, end)
    return Inspection(view, steps, states, lateness)


def element_states(
    session: Session, instance: ProcessInstance, tasks: list[TaskRecord]
) -> dict[str, str]:
    """Diagram element id -> completed / active / waiting / overdue, for the viewer."""
    with holidays.in_scope(session):
        workflow = ENGINE.load(instance.definition.spec_json, instance.state)
        states = ENGINE.element_states(workflow)
    now = clock.now()
    for task in tasks:
        if task.status == TaskStatus.OPEN and queries.is_overdue(task.due_at, now):
            states[task.bpmn_id] = "overdue"
    return states


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def dossier(session: Session, actor: Actor, instance_id: int) -> tuple[str, bytes]:
    """A zip for a court or an inspector: history JSON, the diagram, and the documents."""
    found = inspect(session, actor, instance_id)
    inst = found.view.instance
    history = {
        "instance": {
            "id": inst.id,
            "process_id": inst.process_id,
            "definition_version": inst.definition.version,
            "definition_sha256": inst.definition.sha256,
            "status": inst.status,
            "started_at": inst.started_at,
            "started_by": inst.started_by,
            "ended_at": inst.ended_at,
            "case_no": found.view.case.case_no if found.view.case else None,
        },
        "steps": [
            {
                "task_id": s.task.id,
                "bpmn_id": s.task.bpmn_id,
                "name": s.task.name,
                "unit": s.task.unit.code if s.task.unit else None,
                "status": s.task.status,
                "created_at": s.task.created_at,
                "due_at": s.task.due_at,
                "completed_at": s.task.completed_at,
                "completed_by": s.task.completed_by,
                "readable": s.readable,
                "submitted": s.submitted if s.readable else None,
                "added": s.added,
                "changed": {k: {"before": b, "after": a} for k, (b, a) in s.changed.items()},
                "late_working_days": s.late_working_days,
            }
            for s in found.steps
        ],
        "timers": [
            {
                "name": t.name,
                "due_at": t.due_at,
                "status": t.status,
                "fired_at": t.fired_at,
                "provisional": t.provisional,
                "explanation": t.explanation,
            }
            for t in found.view.timers
        ],  # fmt: skip
        "documents": [
            {
                "name": d.name,
                "kind": d.kind,
                "sha256": d.sha256,
                "file": f"documents/{d.id}-{d.kind}.docx",
            }
            for d in found.view.documents
        ],
        "audit_events": [
            {
                "id": e.id,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                # null for an event about a task the actor may not read (its hash then cannot be
                # checked from this file: ``huajie audit verify`` checks the chain itself)
                "detail": found.view.event_detail(e),
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in found.view.events
        ],  # fmt: skip
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "history.json",
            json.dumps(history, ensure_ascii=False, indent=2, default=_json_default),
        )
        zf.writestr(f"{inst.process_id}.v{inst.definition.version}.bpmn", inst.definition.bpmn_xml)
        for d in found.view.documents:
            zf.writestr(f"documents/{d.id}-{d.kind}.docx", d.content)
    return f"dossier-instance-{inst.id}.zip", buffer.getvalue()
