"""What every service that runs a workflow shares: the engine, the definition versions it
runs (pinned per database, immutable once deployed) and what a step reports."""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, lazyload

from app import clock
from app.engine import Engine, TimerState
from app.models import ProcessDefinition, ProcessInstance, TaskRecord, Timer
from app.services import calendar

ENGINE = Engine(calendar=calendar.current, now=clock.now)
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


@dataclass
class StepResult:
    """What one engine step changed, for documents and callers."""

    new_tasks: list[TaskRecord] = field(default_factory=list)
    fired: list[Timer] = field(default_factory=list)


@dataclass(frozen=True)
class EngineRun:
    """What a step's projections and stored state are made from, read off the workflow once."""

    timers: list[TimerState]
    ready: list[Any]
    state: str | None = None  # the dumped workflow, when computed ahead
