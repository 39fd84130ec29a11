"""What every service that runs a workflow shares: the engine, the definition versions it
runs (pinned per database, immutable once deployed), the workflows this process ran last, and
what a step reports."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, event, select
from sqlalchemy.orm import Session, lazyload

from app import clock
from app.engine import Engine, TimerState
from app.engine import messages as engine_messages
from app.engine.messages import ThrownMessage
from app.models import ProcessDefinition, ProcessInstance, TaskRecord, Timer
from app.services.execution import holidays

ENGINE = Engine(calendar=holidays.current, now=clock.now)
# The write path loads rows without the joined relationships the views want (unit, case,
# assignee...): a step touches a handful of columns, and a related row loads when asked.
LEAN = (lazyload("*"),)


@dataclass(frozen=True)
class PinnedDefinition:
    """What a step needs of its instance's definition version (immutable once deployed)."""

    spec_json: str
    forms: dict[str, Any]


# per database engine, definition id -> PinnedDefinition: a step neither reloads the spec and
# every form of its version nor parses them again
_pinned: weakref.WeakKeyDictionary[Any, dict[int, PinnedDefinition]] = weakref.WeakKeyDictionary()
_pinned_lock = threading.Lock()


_PINNED = select(ProcessDefinition.spec_json, ProcessDefinition.forms).where(
    ProcessDefinition.id == bindparam("id")
)


def pinned_definition(session: Session, instance: ProcessInstance) -> PinnedDefinition:
    bind = session.get_bind()
    with _pinned_lock:
        found = _pinned.get(bind, {}).get(instance.definition_id)
    if found is None:
        row = session.execute(_PINNED, {"id": instance.definition_id}).one()
        found = PinnedDefinition(row.spec_json, row.forms)
        with _pinned_lock:
            _pinned.setdefault(bind, {})[instance.definition_id] = found
    return found


# -- the workflows this process stored last ------------------------------------------------
# A step restores its instance's workflow from the stored state (SpiffWorkflow's from_dict, a
# good part of a step's cost) unless this process stored that very state itself: then the
# object it stored is reused. Entries are keyed by instance and checked against the version
# column and the stored state, so a write by any other process or transaction makes them
# useless, never wrong; a step takes its entry out (a failed step leaves nothing half-changed
# behind) and the new one goes in only when the transaction commits.
CACHED_WORKFLOWS = 256  # per process
# finished tasks a cached object may carry beyond what its state stores before the next step
# restores the compact state instead (the in-memory object keeps its history; its cost must
# not grow with the steps done)
CACHED_HISTORY = 32
_REMEMBER = "huajie_workflows_to_remember"  # session.info key


class _Workflows:
    """Kept workflows by (database, instance id), the least recently stored dropped first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, int], tuple[int, str, Any]] = OrderedDict()

    def take(self, key: tuple[str, int], version: int, state: str) -> Any | None:
        with self._lock:
            entry = self._entries.pop(key, None)
        if entry is None or entry[0] != version or entry[1] != state:
            return None
        return entry[2]

    def put(self, key: tuple[str, int], version: int, state: str, workflow: Any) -> None:
        with self._lock:
            self._entries[key] = (version, state, workflow)
            while len(self._entries) > CACHED_WORKFLOWS:
                self._entries.popitem(last=False)


_WORKFLOWS = _Workflows()
_database_names: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _key(session: Session, instance_id: int) -> tuple[str, int]:
    """By database, not engine: a SQLite database has a read and a write engine, and a
    completion prepared in a read transaction takes what a write transaction kept."""
    bind = session.get_bind()
    name = _database_names.get(bind)
    if name is None:
        url = bind.engine.url if isinstance(bind, Connection) else bind.url
        name = _database_names[bind] = url.render_as_string(hide_password=True)
    return name, instance_id


def restore(session: Session, instance: ProcessInstance) -> Any:
    """The instance's workflow as stored at its current version."""
    key = _key(session, instance.id)
    workflow = _WORKFLOWS.take(key, instance.lock_version, instance.state)
    if workflow is None:
        workflow = ENGINE.load(pinned_definition(session, instance).spec_json, instance.state)
    engine_messages.thrown_signals(workflow)  # forwarded by the step that threw them
    engine_messages.thrown_messages(workflow)
    return workflow


def remember(session: Session, instance: ProcessInstance, workflow: Any) -> None:
    """Keep ``workflow``, just stored as the instance's state at its version, for the
    instance's next step in this process, once this transaction commits."""
    if ENGINE.history_in_memory(workflow) <= CACHED_HISTORY:
        entry = (_key(session, instance.id), instance.lock_version, instance.state, workflow)
        session.info.setdefault(_REMEMBER, []).append(entry)


@event.listens_for(Session, "after_commit")
def _remember_committed(session: Session) -> None:
    for key, version, state, workflow in session.info.pop(_REMEMBER, ()):
        _WORKFLOWS.put(key, version, state, workflow)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: Any) -> None:
    if previous.parent is None:
        session.info.pop(_REMEMBER, None)


@dataclass
class StepResult:
    """What one engine step changed, for documents and callers."""

    new_tasks: list[TaskRecord] = field(default_factory=list)
    fired: list[Timer] = field(default_factory=list)
    signals: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # thrown, uncaught
    messages: list[ThrownMessage] = field(default_factory=list)  # thrown, uncaught


@dataclass(frozen=True)
class EngineRun:
    """What a step's projections and stored state are made from, read off the workflow once."""

    timers: list[TimerState]
    ready: list[Any]
    state: str | None = None  # the dumped workflow, when computed ahead
