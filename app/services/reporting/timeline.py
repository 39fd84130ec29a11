"""One case across mechanisms: every instance, task, deadline, message and document."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import case_numbers, clock, inputs
from app.errors import InvalidInput, NotFound
from app.models import Case, CourtMessage, Document, ProcessInstance, TaskRecord, Unit
from app.services.actor import Actor
from app.services.court.messages import NAMES
from app.services.identity import access
from app.services.identity.permissions import Action, may
from app.services.records import archive_store
from app.services.reporting import inspection, queries, wording


@dataclass
class Entry:
    at: datetime
    kind: str  # instance / task / deadline / message / document
    title: str
    instance_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    step: int = 0  # order of things that happen at the same moment (see STEP)


# At one moment a message arrives, starts an instance, whose task opens, is done, and
# produces a document; then the instance ends. Newest first reverses this order.
STEP = {"message": 0, "start": 1, "open": 2, "done": 3, "document": 4, "end": 5, "due": 6}


@dataclass
class CaseTimeline:
    case: Case
    instances: list[ProcessInstance]
    entries: list[Entry]
    states: dict[int, dict[str, str]] = field(default_factory=dict)  # instance -> element states
    archived: bool = False  # read from the archive (已归档): read only


def visible_case(session: Session, actor: Actor, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("案件不存在或无权查看")
    if queries.sees_everything(actor):
        return case
    involved = case.agency_unit_id == actor.unit_id or actor.unit_id in _unit_ids(session, case)
    if not involved or not may(actor.role, Action.READ):
        raise NotFound("案件不存在或无权查看")
    return case


def _unit_ids(session: Session, case: Case) -> set[int]:
    return set(session.scalars(select(TaskRecord.unit_id).where(TaskRecord.case_id == case.id)))


def build(session: Session, actor: Actor, case_id: int) -> CaseTimeline:
    """The case's timeline, from the main tables or else the archive."""
    if queries.archived(session, Case, case_id):
        with archive_store.archive_first(session):
            found = _build(session, actor, case_id)
        found.archived = True
        return found
    return _build(session, actor, case_id)


def _build(session: Session, actor: Actor, case_id: int) -> CaseTimeline:
    case = visible_case(session, actor, case_id)
    now = clock.now()
    instances = list(
        session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.case_id == case.id)
            .order_by(ProcessInstance.id)
        )
    )
    names = {i.id: i.definition.name for i in instances}
    entries: list[Entry] = []
    for inst in instances:
        entries.append(
            Entry(inst.started_at, "instance", f"启动：{inst.definition.name}", inst.id,
                  {"process_id": inst.process_id, "version": inst.definition.version,
                   "status": inst.status})
        )  # fmt: skip
        if inst.ended_at:
            entries.append(
                Entry(inst.ended_at, "instance", f"办结：{inst.definition.name}", inst.id)
            )
    all_tasks = list(session.scalars(select(TaskRecord).where(TaskRecord.case_id == case.id)))
    people = wording.people(session, (t.completed_by for t in all_tasks))
    for task in all_tasks:
        state = queries.deadline_state(task, now)
        detail = {
            "task_id": task.id, "bpmn_id": task.bpmn_id, "status": task.status,
            "unit": task.unit.name if task.unit else None,
            "due_at": task.due_at.isoformat() if task.due_at else None, "deadline": state,
            "completed_by": task.completed_by,
        }  # fmt: skip
        title = f"{names.get(task.instance_id, '')} · {task.name}"
        if task.completed_at:
            by = wording.person_of(task.completed_by or "", people)
            entries.append(
                Entry(task.completed_at, "task", f"办结 {title}（{by}）", task.instance_id, detail)
            )
        entries.append(Entry(task.created_at, "task", f"待办 {title}", task.instance_id, detail))
        if task.due_at is not None:
            entries.append(
                Entry(task.due_at, "deadline", f"期限 {title}", task.instance_id, detail)
            )
    for message in session.scalars(select(CourtMessage).where(CourtMessage.case_id == case.id)):
        label = NAMES.get(message.name, message.name)
        entries.append(
            Entry(message.received_at, "message", f"法院消息：{label}",
                  None, {"name": message.name, "payload": message.payload,
                         "delivered_to": message.delivered_to, "started": message.started},
                  STEP["message"])
        )  # fmt: skip
    readable = _readable_tasks(session, actor, instances, all_tasks)
    for doc in session.scalars(
        select(Document).where(
            or_(Document.case_id == case.id, Document.instance_id.in_([i.id for i in instances]))
        )
    ):
        if doc.instance_id not in readable or not (
            doc.task_record_id is None or doc.task_record_id in readable[doc.instance_id]
        ):
            continue  # a document is read as the task that produced it is
        entries.append(
            Entry(doc.created_at, "document", doc.name, doc.instance_id,
                  {"document_id": doc.id, "kind": doc.kind, "sha256": doc.sha256},
                  STEP["document"])
        )  # fmt: skip
    entries.sort(key=lambda e: (e.at, e.step, e.detail.get("task_id", 0)), reverse=True)
    states = {
        inst.id: inspection.element_states(
            session, inst, [t for t in all_tasks if t.instance_id == inst.id]
        )
        for inst in instances
    }
    return CaseTimeline(case, instances, entries, states)


def _readable_tasks(
    session: Session, actor: Actor, instances: list[ProcessInstance], tasks: list[TaskRecord]
) -> dict[int, frozenset[int]]:
    """Instance id -> the ids of its tasks the actor may read, for the instances they may open."""
    found = {}
    for inst in instances:
        if not queries.can_see_instance(session, actor, inst):
            continue
        own = [t for t in tasks if t.instance_id == inst.id]
        reading = access.reading(session, actor, inst, own)
        found[inst.id] = frozenset(t.id for t in own if reading.task(t))
    return found


def timeline_json(timeline: CaseTimeline) -> dict[str, Any]:
    case = timeline.case
    return {
        "id": case.id,
        "case_no": case.case_no,
        "plaintiff": case.plaintiff,
        "agency_unit": case.agency.code,
        "subject": case.subject,
        "court": case.court,
        "outcome": case.outcome,
        "outcome_on": case.outcome_on,
        "defendants": case.defendants,
        "losing_units": case.losing_units,
        "archived": timeline.archived,
        "instances": [
            {
                "id": i.id,
                "process_id": i.process_id,
                "name": i.definition.name,
                "version": i.definition.version,
                "status": i.status,
            }
            for i in timeline.instances
        ],  # fmt: skip
        "timeline": [
            {
                "at": e.at.isoformat(),
                "kind": e.kind,
                "title": e.title,
                "instance_id": e.instance_id,
                **e.detail,
            }
            for e in timeline.entries
        ],  # fmt: skip
    }


MAX_SEARCH = 200  # the longest column searched (plaintiff, unit name)


def search(
    session: Session, actor: Actor, q: str, limit: int = 50, *, archived: bool = False
) -> list[tuple[Case, bool]]:
    """Cases whose number, plaintiff or unit matches ``q`` (a lookalike case number too), each
    with whether it is archived: the archive's too when ``archived``, or when the main tables
    have no match for ``q``."""
    problem = inputs.text_problem(q, MAX_SEARCH)
    if problem:
        raise InvalidInput(f"查询内容有误：{problem}", {"q": [problem]})
    found = [(case, False) for case in _search(session, actor, q, limit)]
    if (archived or (q and not found)) and archive_store.ready(session.connection()):
        with archive_store.archive_first(session):
            found += [(case, True) for case in _search(session, actor, q, limit)]
        found = sorted(found, key=lambda item: item[0].id, reverse=True)[:limit]
    return found


def _search(session: Session, actor: Actor, q: str, limit: int) -> list[Case]:
    stmt = select(Case).join(Unit, Unit.id == Case.agency_unit_id).order_by(Case.id.desc())
    if q:
        like, number = f"%{q}%", f"%{case_numbers.normalize(q)}%"
        stmt = stmt.where(
            or_(Case.case_no.like(number), Case.case_no.like(like), Case.plaintiff.like(like),
                Unit.name.like(like),
                Unit.code == q)
        )  # fmt: skip
    if not queries.sees_everything(actor):
        stmt = stmt.where(Case.agency_unit_id == actor.unit_id)
    return list(session.scalars(stmt.limit(limit)))
