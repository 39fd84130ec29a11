"""An instance's record, the audit log and the notifications as people read them: submissions
with their forms' labels, people by name, events and messages as sentences (``wording``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Case, Notification, ProcessInstance, TaskRecord
from app.services.execution.workflows import pinned_definition
from app.services.records import archive_store
from app.services.reporting import inspection, labels, task_context, wording


@dataclass
class InstanceWords:
    """What the instance page prints in words instead of keys, codes and login names."""

    submitted: dict[int, list[labels.Labelled]] = field(default_factory=dict)  # task id ->
    before: dict[int, dict[str, str]] = field(default_factory=dict)  # task id -> key -> old value
    people: dict[str, str] = field(default_factory=dict)  # login name -> the person
    events: dict[int, str] = field(default_factory=dict)  # event id -> its sentence
    messages: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # message id ->

    def person(self, username: str | None) -> str:
        return wording.person_of(username, self.people) if username else "—"


def instance_words(session: Session, found: inspection.Inspection) -> InstanceWords:
    if found.view.archived:  # its tasks' forms and names are in the archive
        with archive_store.archive_first(session):
            return _instance_words(session, found)
    return _instance_words(session, found)


def _instance_words(session: Session, found: inspection.Inspection) -> InstanceWords:
    view = found.view
    definition = pinned_definition(session, view.instance)
    words = InstanceWords()
    for step in found.steps:
        if not step.submitted:
            continue
        schema, ui = task_context.form_of(session, definition, step.task)
        words.submitted[step.task.id] = labels.labelled(schema, ui, step.submitted)
        if step.changed:
            old = {key: before for key, (before, _) in step.changed.items()}
            words.before[step.task.id] = {
                v.key: v.text or "、".join(f.name for f in v.files)
                for v in labels.labelled(schema, ui, old)
            }
    event_words = wording.event_words(session, view.events)
    names = [t.completed_by for t in view.tasks] + [view.instance.started_by]
    names += [m.sender for m in view.messages]
    words.people = {**event_words.people, **wording.people(session, names)}
    event_words = wording.EventWords(words.people, event_words.task_names, event_words.units)
    for event in view.events:
        words.events[event.id] = wording.event_sentence(
            event, view.event_detail(event), event_words
        )
    for message in view.messages:
        words.messages[message.id] = wording.message_facts(message, event_words.units)
    return words


def audit_lines(session: Session, events: list[AuditEvent]) -> dict[int, str]:
    """The audit log's events as sentences (the auditor reads every detail)."""
    words = wording.event_words(session, events)
    return {e.id: wording.event_sentence(e, e.detail or {}, words) for e in events}


def audit_people(session: Session, usernames: list[str]) -> dict[str, str]:
    """Each recorded actor (a login name, or the system) -> the person."""
    known = wording.people(session, usernames)
    return {name: wording.person_of(name, known) for name in usernames}


@dataclass
class NotificationLine:
    notification: Notification
    text: str
    about: str  # "合法性审查 · （2026）苏0813行初1号": which process and case it concerns


def notification_lines(session: Session, rows: Iterable[Notification]) -> list[NotificationLine]:
    """Each notification with the process and case number of its task."""
    rows = list(rows)
    task_ids = {n.task_record_id for n in rows if n.task_record_id is not None}
    about: dict[int, str] = {}
    if task_ids:
        found = session.execute(
            select(TaskRecord.id, ProcessInstance.id.label("instance_id"), Case.case_no)
            .join(ProcessInstance, ProcessInstance.id == TaskRecord.instance_id)
            .outerjoin(Case, Case.id == TaskRecord.case_id)
            .where(TaskRecord.id.in_(task_ids))
        )
        instances = {}
        for row in found:
            instances[row.id] = (row.instance_id, row.case_no)
        names = {
            i.id: i.definition.name
            for i in session.scalars(
                select(ProcessInstance).where(
                    ProcessInstance.id.in_({v[0] for v in instances.values()})
                )
            )
        }
        for task_id, (instance_id, case_no) in instances.items():
            parts = [names.get(instance_id, ""), f"案号 {case_no}" if case_no else ""]
            about[task_id] = " · ".join(p for p in parts if p)
    return [NotificationLine(n, n.message, about.get(n.task_record_id or 0, "")) for n in rows]
