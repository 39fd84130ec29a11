"""Who may read what a task holds: the one rule every page, API, export and download asks.

Opening an instance at all is ``queries.can_see_instance`` (units that take part, the
supervising roles, auditors). Inside it, what a task holds — its submitted data, the data it
changed, the documents and attachments it produced, the details of the audit events about it or
about reading its files — is read per task, by:

- auditors (read-only, they read everything) and the system itself;
- the people the diagram gives the task: its ``assignee``, or the holders of its ``role`` in the
  unit that owns it; and whoever completed it (a substitute included);
- the readers the task names with the property ``readers`` (comma-separated, ``READERS``), or,
  when it names none, the defaults of its lane (``default_readers``).

A task the actor may not read still shows that it exists, who owns and did it and when (the
history, deadlines and diagram every participant needs); its content is "无权查看".
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, defer, lazyload

from app.models import Case, ProcessInstance, TaskRecord
from app.services.actor import Actor
from app.services.execution.lanes import LANE_UNIT_KIND
from app.services.execution.workflows import ENGINE, pinned_definition
from app.services.identity.permissions import Action, may

READERS_PROPERTY = "readers"
# the values a task's ``readers`` may name
READERS: dict[str, str] = {
    "own_unit": "承办本任务的单位（全体人员）",
    "agency": "本流程的案涉行政机关（案件的行政机关及承办本流程任务的行政机关）",
    "center": "区调处中心",
    "bureau": "司法局工作人员",
    "bureau_head": "司法局主要负责人",
    "leader": "区领导",
    "discipline": "纪检监察机关",
}
ROLE_READERS = frozenset({"center", "bureau", "bureau_head", "leader"})  # the value is a role

SUPERVISORS = ROLE_READERS
# a task that names no readers, by the kind of unit its lane maps to: an agency's own work is
# read by its unit and the supervising roles, not by another agency of the same instance;
# what the center, the bureau or the government does in a case is read by its agencies too
AGENCY_DEFAULT = frozenset({"own_unit", *SUPERVISORS})
ORGANISER_DEFAULT = frozenset({"own_unit", "agency", *SUPERVISORS})
# accountability processes (主观过错认定, 追责问责): mechanism 10's own, and any process with a
# discipline-inspection lane; every task of one that names no readers is read only by the
# bureau, its head, the discipline unit and the task's own unit (auditors always), whichever
# version of the diagram an instance runs
ACCOUNTABILITY_PROCESSES = frozenset({"fault_determination", "discipline_feedback"})
ACCOUNTABILITY_DEFAULT = frozenset({"own_unit", "bureau", "bureau_head", "discipline"})


def parse_readers(value: str) -> tuple[frozenset[str], list[str]]:
    """The known reader values of a ``readers`` property, and the unknown ones."""
    names = [n.strip() for n in value.split(",") if n.strip()]
    return frozenset(n for n in names if n in READERS), [n for n in names if n not in READERS]


def default_readers(lane: str, accountability: bool) -> frozenset[str]:
    if accountability:
        return ACCOUNTABILITY_DEFAULT
    return AGENCY_DEFAULT if LANE_UNIT_KIND.get(lane) == "agency" else ORGANISER_DEFAULT


@dataclass(frozen=True)
class DefinitionReaders:
    """What one definition version says about reading its tasks."""

    named: Mapping[str, frozenset[str]]  # bpmn id -> the readers its ``readers`` names
    accountability: bool

    @classmethod
    def of(cls, process_id: str, spec_json: str) -> DefinitionReaders:
        specs = ENGINE.user_task_specs(spec_json)
        named: dict[str, frozenset[str]] = {}
        for spec in specs:
            known, _ = parse_readers(spec.properties.get(READERS_PROPERTY, ""))
            if known:
                named.setdefault(spec.bpmn_id, known)
        accountability = process_id in ACCOUNTABILITY_PROCESSES or any(
            LANE_UNIT_KIND.get(s.lane) == "discipline" for s in specs
        )
        return cls(named, accountability)

    def readers_of(self, task: TaskRecord) -> frozenset[str]:
        named = self.named.get(task.bpmn_id)
        return named if named is not None else default_readers(task.lane, self.accountability)


# per database engine, definition id -> its readers (a deployed version never changes)
_definitions: weakref.WeakKeyDictionary[Any, dict[int, DefinitionReaders]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def definition_readers(session: Session, instance: ProcessInstance) -> DefinitionReaders:
    bind = session.get_bind()
    with _lock:
        found = _definitions.get(bind, {}).get(instance.definition_id)
    if found is None:
        spec_json = pinned_definition(session, instance).spec_json
        found = DefinitionReaders.of(instance.process_id, spec_json)
        with _lock:
            _definitions.setdefault(bind, {})[instance.definition_id] = found
    return found


def _given_to(actor: Actor, task: TaskRecord) -> bool:
    """The diagram gives the task to this person: its assignee, or its role in its unit."""
    if task.assignee_id is not None:
        return task.assignee_id == actor.user_id
    return task.role is not None and actor.unit_id == task.unit_id and actor.role == task.role


def _did(actor: Actor, task: TaskRecord) -> bool:
    done_by = task.completed_by or ""
    return done_by == actor.username or done_by.startswith(f"{actor.username}（代 ")


class Reading:
    """What one actor may read in one instance."""

    def __init__(
        self,
        actor: Actor,
        readers: DefinitionReaders,
        agency_units: Callable[[], frozenset[int]],
    ) -> None:
        self.actor = actor
        self.readers = readers
        self._agency_units = agency_units
        self._agencies: frozenset[int] | None = None

    def agencies(self) -> frozenset[int]:
        if self._agencies is None:
            self._agencies = self._agency_units()
        return self._agencies

    def task(self, task: TaskRecord) -> bool:
        actor = self.actor
        if may(actor.role, Action.READ_EVERY_TASK) or _did(actor, task):
            return True
        if _given_to(actor, task) or any(_given_to(a, task) for a in actor.acting_for):
            return True
        for reader in self.readers.readers_of(task):
            if reader in ROLE_READERS:
                allowed = actor.role == reader
            elif reader == "own_unit":
                allowed = actor.unit_id is not None and actor.unit_id == task.unit_id
            elif reader == "discipline":
                allowed = actor.unit_kind == "discipline"
            else:  # agency
                allowed = actor.unit_id is not None and actor.unit_id in self.agencies()
            if allowed:
                return True
        return False


def agency_units(case: Case | None, tasks: Iterable[tuple[int | None, str]]) -> frozenset[int]:
    """The instance's agencies: the case's 案涉行政机关 and the units of its agency-lane tasks."""
    units = {u for u, lane in tasks if u is not None and LANE_UNIT_KIND.get(lane) == "agency"}
    if case is not None:
        units.add(case.agency_unit_id)
    return frozenset(units)


_TASK_UNITS = select(TaskRecord.unit_id, TaskRecord.lane).where(
    TaskRecord.instance_id == bindparam("instance_id")
)


def reading(
    session: Session,
    actor: Actor,
    instance: ProcessInstance,
    tasks: list[TaskRecord] | None = None,
) -> Reading:
    """The actor's reading of an instance; ``tasks`` are its task rows when already loaded."""

    def agencies() -> frozenset[int]:
        case = session.get(Case, instance.case_id) if instance.case_id is not None else None
        if tasks is not None:
            return agency_units(case, ((t.unit_id, t.lane) for t in tasks))
        rows = session.execute(_TASK_UNITS, {"instance_id": instance.id})
        return agency_units(case, ((unit, lane) for unit, lane in rows))

    return Reading(actor, definition_readers(session, instance), agencies)


def may_read_task(session: Session, actor: Actor, task: TaskRecord) -> bool:
    """One task's content (for a download or the task page); instance access is asked apart."""
    if may(actor.role, Action.READ_EVERY_TASK) or _did(actor, task):
        return True
    instance = session.get(ProcessInstance, task.instance_id)
    return instance is not None and reading(session, actor, instance).task(task)


def readable_tasks(session: Session, actor: Actor, task_ids: Iterable[int]) -> set[int]:
    """Of these tasks, those whose content the actor may read (one reading per instance)."""
    wanted = sorted(set(task_ids))
    if not wanted or may(actor.role, Action.READ_EVERY_TASK):
        return set(wanted)
    tasks = session.scalars(
        select(TaskRecord)
        .where(TaskRecord.id.in_(wanted))
        .options(lazyload("*"), defer(TaskRecord.data), defer(TaskRecord.prefill))
    ).all()
    instances = {
        i.id: i
        for i in session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.id.in_({t.instance_id for t in tasks}))
            .options(lazyload("*"), defer(ProcessInstance.state))
        )
    }
    readings: dict[int, Reading] = {}
    readable = set()
    for task in tasks:
        instance = instances[task.instance_id]
        if instance.id not in readings:
            readings[instance.id] = reading(session, actor, instance)
        if readings[instance.id].task(task):
            readable.add(task.id)
    return readable


def visible_prefill(
    prefill: Mapping[str, Any] | None, tasks: Iterable[TaskRecord], readable: frozenset[int]
) -> dict[str, Any]:
    """A new task's values taken from process data, less those a hidden task wrote last."""
    if not prefill:
        return {}
    last_writer: dict[str, int] = {}
    done = sorted(
        (t for t in tasks if t.completed_at is not None and t.data),
        key=lambda t: (t.completed_at, t.id),
    )
    for task in done:
        for key in task.data or {}:
            last_writer[key] = task.id
    return {k: v for k, v in prefill.items() if k not in last_writer or last_writer[k] in readable}
