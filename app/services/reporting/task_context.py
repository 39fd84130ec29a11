"""What a task decides on, shown above its form: the case, and the earlier submissions it needs.

The diagram chooses with the user task's property ``context``: comma-separated ids of earlier
user tasks of the same process (every round of each), or ``task_id.field`` for single fields of
one. Without it, a task shows the previous user task's submission. A task that runs again in a
loop always shows its own earlier rounds. The case (or the instance's summary) is always shown.

Everything here is what the reader may read (``access``): a submission of a task they may not
read shows that it exists and "无权查看"; an attachment is a link only when the task that
uploaded it is readable, and the link goes through the audited download.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Attachment, Case, ProcessInstance, TaskRecord
from app.services.design.context_property import CONTEXT_PROPERTY, ContextEntry, parse_context
from app.services.execution import task_forms
from app.services.execution.workflows import ENGINE, PinnedDefinition, pinned_definition
from app.services.reporting import labels, wording
from app.services.reporting.queries import InstanceView

# per database engine, definition id -> bpmn id -> the entries its ``context`` names
_named: weakref.WeakKeyDictionary[Any, dict[int, dict[str, list[ContextEntry]]]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def named_context(session: Session, instance: ProcessInstance) -> dict[str, list[ContextEntry]]:
    bind = session.get_bind()
    with _lock:
        found = _named.get(bind, {}).get(instance.definition_id)
    if found is None:
        specs = ENGINE.user_task_specs(pinned_definition(session, instance).spec_json)
        found = {
            s.bpmn_id: parse_context(s.properties[CONTEXT_PROPERTY])
            for s in specs
            if s.properties.get(CONTEXT_PROPERTY, "").strip()
        }
        with _lock:
            _named.setdefault(bind, {})[instance.definition_id] = found
    return found


@dataclass
class Round:
    """One completed run of an earlier task, as the reader may see it."""

    task: TaskRecord
    number: int  # 1 for the first run of that task in the instance
    readable: bool
    values: list[labels.Labelled]
    done_by: str  # the person, named


@dataclass
class Section:
    bpmn_id: str
    name: str
    rounds: list[Round]
    own_rounds: bool = False  # the task's own earlier rounds (a loop)

    @property
    def looped(self) -> bool:
        return len(self.rounds) > 1 or self.own_rounds


@dataclass
class TaskContext:
    case: Case | None
    summary: str
    case_facts: list[tuple[str, str]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    own: list[labels.Labelled] = field(default_factory=list)  # what the task itself submitted

    @property
    def empty(self) -> bool:
        return not self.case_facts and not self.summary and not self.sections


def earlier_tasks(task: TaskRecord, tasks: Iterable[TaskRecord]) -> list[TaskRecord]:
    """The instance's tasks completed before this one was (or, while it is open, so far)."""
    done = [
        t
        for t in tasks
        if t.completed_at is not None
        and t.id != task.id
        and (task.completed_at is None or t.completed_at <= task.completed_at)
    ]
    return sorted(done, key=lambda t: (t.completed_at, t.id))


def selection(
    task: TaskRecord, earlier: list[TaskRecord], named: list[ContextEntry] | None
) -> tuple[list[str], dict[str, set[str] | None]]:
    """The bpmn ids whose rounds are shown, in order, and the fields of each (None: all)."""
    if named is None:
        others = [t for t in earlier if t.bpmn_id != task.bpmn_id]
        named = [ContextEntry(others[-1].bpmn_id)] if others else []
    order: list[str] = []
    fields: dict[str, set[str] | None] = {}
    for entry in named:
        if entry.task_id not in order:
            order.append(entry.task_id)
            fields[entry.task_id] = set()
        chosen = fields[entry.task_id]
        if entry.field is None:
            fields[entry.task_id] = None
        elif chosen is not None:
            chosen.add(entry.field)
    if task.bpmn_id not in order and any(t.bpmn_id == task.bpmn_id for t in earlier):
        order.append(task.bpmn_id)
        fields[task.bpmn_id] = None
    return order, fields


def case_facts(case: Case | None) -> list[tuple[str, str]]:
    if case is None:
        return []
    facts = [
        ("法院案号", case.case_no),
        ("原告", case.plaintiff),
        ("案涉行政机关", case.agency.name if case.agency else ""),
        ("争议事项", case.subject),
        ("诉讼请求", case.claims or ""),
        ("管辖法院", case.court),
    ]
    return [(label, value) for label, value in facts if value]


def form_of(
    session: Session, definition: PinnedDefinition, task: TaskRecord
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The task's form schema (options resolved) and UI schema, as its version pinned them."""
    schema = task_forms.prepare(session, definition.forms.get(task.form or "") or {})
    ui = definition.forms.get((task.form or "").replace(".schema.json", ".uischema.json"))
    return schema, ui


def build(session: Session, task: TaskRecord, view: InstanceView) -> TaskContext:
    """The context of ``task`` for the reader ``view`` was built for."""
    instance = view.instance
    earlier = earlier_tasks(task, view.tasks)
    named = named_context(session, instance).get(task.bpmn_id)
    order, fields = selection(task, earlier, named)
    definition = pinned_definition(session, instance)
    files = _readable_files(session, instance.id, earlier, view.readable)
    people = wording.people(session, (t.completed_by for t in earlier))
    sections = []
    for bpmn_id in order:
        runs = [t for t in earlier if t.bpmn_id == bpmn_id]
        if not runs:
            continue
        rounds = []
        for number, run in enumerate(runs, start=1):
            readable = run.id in view.readable
            values: list[labels.Labelled] = []
            if readable:
                schema, ui = form_of(session, definition, run)
                only = fields[bpmn_id]
                values = _files_checked(labels.labelled(schema, ui, run.data, only), files)
            done_by = wording.person_of(run.completed_by or "", people)
            rounds.append(Round(run, number, readable, values, done_by))
        sections.append(Section(bpmn_id, runs[-1].name, rounds, bpmn_id == task.bpmn_id))
    summary = "" if view.case is not None else instance.summary
    own: list[labels.Labelled] = []
    if task.data and task.id in view.readable:
        own = labels.labelled(*form_of(session, definition, task), task.data)
    return TaskContext(view.case, summary, case_facts(view.case), sections, own)


def _readable_files(
    session: Session, instance_id: int, earlier: list[TaskRecord], readable: frozenset[int]
) -> set[int]:
    """Of the attachments the earlier submissions name, those the reader may open: uploaded in
    this instance by a task they may read (the same rule the download asks)."""
    ids = {
        ref.id
        for t in earlier
        if t.id in readable
        for value in (t.data or {}).values()
        for ref in labels.file_refs(value)
    }
    if not ids:
        return set()
    rows = session.execute(
        select(Attachment.id, Attachment.instance_id, Attachment.task_record_id).where(
            Attachment.id.in_(ids)
        )
    )
    return {
        row.id
        for row in rows
        if row.instance_id == instance_id
        and (row.task_record_id is None or row.task_record_id in readable)
    }


def _files_checked(values: list[labels.Labelled], allowed: set[int]) -> list[labels.Labelled]:
    for value in values:
        hidden = [f for f in value.files if f.id not in allowed]
        if hidden:
            value.files = [f for f in value.files if f.id in allowed]
            value.text = "、".join(f"{f.name}（无权查看）" for f in hidden)
    return values
