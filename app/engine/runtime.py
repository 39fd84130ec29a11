"""Running workflows: start, load, advance, complete, and read what people and timers need.

The rest of the product talks to SpiffWorkflow only through this module and ``parser``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from app import jsontext
from app.clocks import Clock, Computed, system_event
from app.engine import incident_data, instructions, iso_timers
from app.engine.compaction import compact
from app.engine.failures import EngineError, is_storage_error
from app.engine.sandbox import SAFE_FUNCTIONS, SandboxEnvironment, deadline_functions, time_types
from app.engine.serializer import SERIALIZER, parse_task_id
from app.engine.timers import (
    CLOCK_KEY,
    adjusted_before_clocks,
    apply_clock,
    clock_of,
    evaluate_clock,
    host_task,
    submitted_key,
)
from app.workdays import WorkCalendar

_VERSION_KEY = "serializer_version"
# Diagram elements completed by tasks that compaction removed from the stored state (sorted
# list in the state; a set on the loaded workflow), so the viewer still marks them done.
_DONE_KEY = "huajie_completed_elements"
_DONE_ATTR = "huajie_completed_elements"
_STORED_ATTR = "huajie_stored_tasks"  # how many tasks the last dump stored


def _task(workflow: BpmnWorkflow, spiff_id: str) -> Any:
    """The workflow's task with this id, or None (ids through the serializer's memo)."""
    return workflow.get_task_from_id(parse_task_id(spiff_id))


class TaskNotReady(LookupError):
    pass


@dataclass
class ReadyUserTask:
    spiff_id: str
    bpmn_id: str
    name: str
    lane: str
    properties: dict[str, str]
    instructions: str = ""  # instructionsForEndUser, rendered over the data
    confirm: bool = False  # a manual or plain task: confirmed, without a form


@dataclass
class UserTaskSpec:
    """A user task a definition can run (its called processes' included): lane and properties."""

    bpmn_id: str
    lane: str
    properties: dict[str, str]


@dataclass
class TimerState:
    spiff_id: str
    bpmn_id: str
    name: str
    host_spiff_id: str | None  # the user task it is attached to
    state: str  # waiting / fired / cancelled
    due_at: datetime | None
    provisional: bool
    explanation: str
    properties: dict[str, str]
    suspended: dict[str, Any] | None = None  # {reason, remaining, since} while 中止
    clock: Clock | None = None  # its rule, start event and changes (None: not evaluated yet)

    @property
    def purpose(self) -> str:
        """``deadline`` (the task's due date), ``reminder`` (tells the task's people when it
        fires) or ``milestone`` (only its 催办): the timer property ``purpose``."""
        return self.properties.get("purpose", "deadline") or "deadline"


class HuajieScriptEngine(PythonScriptEngine):
    def __init__(self, calendar: Callable[[], WorkCalendar], now: Callable[[], datetime]) -> None:
        functions = dict(SAFE_FUNCTIONS)
        functions.update(deadline_functions(calendar))
        functions.update(time_types(now))
        super().__init__(environment=SandboxEnvironment(functions))
        self.now = now
        self.calendar = calendar


@lru_cache(maxsize=64)
def _restore_spec(spec_json: str) -> tuple[Any, dict[str, Any]]:
    """(process spec, called process specs) from a definition's spec bundle."""
    bundle = json.loads(spec_json)
    if "subprocess_specs" not in bundle:  # a definition deployed before call activities
        return SERIALIZER.from_dict(bundle), {}
    subprocesses = {k: SERIALIZER.from_dict(v) for k, v in bundle["subprocess_specs"].items()}
    return SERIALIZER.from_dict(bundle["spec"]), subprocesses


@lru_cache(maxsize=64)
def _lane_names(spec_json: str) -> frozenset[str]:
    spec, subprocesses = _restore_spec(spec_json)
    names = set()
    for process in (spec, *subprocesses.values()):
        names |= {t.lane for t in process.task_specs.values() if getattr(t, "lane", None)}
    return frozenset(names)


class Engine:
    def __init__(self, calendar: Callable[[], WorkCalendar], now: Callable[[], datetime]) -> None:
        self.script_engine = HuajieScriptEngine(calendar, now)

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, spec_json: str, data: dict[str, Any]) -> BpmnWorkflow:
        """A new workflow run to its first wait; an EngineError carries it as the failure
        left it."""
        spec, subprocess_specs = _restore_spec(spec_json)
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine)
        workflow.task_tree.data.update(data)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        self.advance(workflow)
        return workflow

    def load(self, spec_json: str, state: str) -> BpmnWorkflow:
        """A complete ``BpmnWorkflow`` of what can still happen (see ``dump``)."""
        dct = jsontext.loads(state)
        dct.pop(_VERSION_KEY, None)
        done = dct.pop(_DONE_KEY, [])
        dct["spec"], dct["subprocess_specs"] = _restore_spec(spec_json)
        workflow = SERIALIZER.from_dict(dct)
        workflow.script_engine = self.script_engine
        setattr(workflow, _DONE_ATTR, set(done))
        return workflow

    def dump(self, workflow: BpmnWorkflow) -> str:
        """The state to store: finished history compacted away (``app.engine.compaction``),
        so its size and the cost of the next step do not grow with the steps done."""
        dct = SERIALIZER.to_dict(workflow)  # without the specs (``WorkflowStateConverter``)
        removed = compact(workflow, dct, SERIALIZER.registry)
        setattr(workflow, _STORED_ATTR, len(dct["tasks"]))
        dct[_VERSION_KEY] = SERIALIZER.VERSION
        dct[_DONE_KEY] = sorted(self.completed_elements(workflow) | removed)
        return jsontext.dumps(dct)

    @staticmethod
    def history_in_memory(workflow: BpmnWorkflow) -> int:
        """Tasks the loaded workflow holds beyond what its last ``dump`` stored (finished
        history that compaction left out of the state, still in this object)."""
        return len(workflow.tasks) - getattr(workflow, _STORED_ATTR, len(workflow.tasks))

    @staticmethod
    def completed_elements(workflow: BpmnWorkflow) -> set[str]:
        """Elements completed by tasks no longer in the loaded workflow (compacted away)."""
        return set(getattr(workflow, _DONE_ATTR, ()))

    def advance(self, workflow: BpmnWorkflow) -> None:
        """Run engine steps and fire whatever timers are due by the product clock."""
        try:
            workflow.refresh_timers()
            workflow.do_engine_steps()
        except Exception as exc:  # whatever a diagram's step raises stops this instance only
            if is_storage_error(exc):
                raise
            raise EngineError.of(exc, workflow) from exc

    def retry(self, workflow: BpmnWorkflow, data: dict[str, Any]) -> None:
        """Run the failed steps again (after an incident), ``data`` merged into their data:
        a corrected value, or nothing after a migration to a fixed version."""
        failed = workflow.get_tasks(state=TaskState.ERROR)
        incident_data.correct(workflow, data)
        try:
            for task in failed:
                task._set_state(TaskState.READY)
                if task.task_spec.manual:  # its post-script failed: complete it again
                    task.run()
        except Exception as exc:
            if is_storage_error(exc):
                raise
            raise EngineError.of(exc, workflow) from exc
        self.advance(workflow)

    def deliver(
        self, workflow: BpmnWorkflow, name: str, payload: dict[str, Any], correlated: bool = False
    ) -> bool:
        """Send a BPMN message; False when nothing in the workflow waits for it.

        ``correlated``: the product has matched the message's correlation with the waiting
        task's data, so the workflow's own correlation keys (SpiffArena's process variable
        correlations) travel with it and SpiffWorkflow does not turn it away again."""
        correlations = dict(workflow.correlations) if correlated else {}
        event = BpmnEvent(MessageEventDefinition(name), payload=payload, correlations=correlations)
        try:
            workflow.send_event(event)
        except WorkflowException:
            return False
        except Exception as exc:  # a correlation expression of the catching event failed
            if is_storage_error(exc):
                raise
            raise EngineError.of(exc, workflow) from exc
        self.advance(workflow)
        return True

    def complete(
        self,
        workflow: BpmnWorkflow,
        spiff_id: str,
        data: dict[str, Any],
        submitted: dict[str, Any] | None = None,
    ) -> None:
        """Complete a ready user task with its data; ``submitted`` (an event dict) is the
        product's record of the submission, which deadlines may count from
        (``submitted("task_id")``)."""
        task = _task(workflow, spiff_id)
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(spiff_id)
        task.data.update(data)
        if submitted is None:  # recorded now, by the engine's clock
            name = task.task_spec.bpmn_name or task.task_spec.bpmn_id
            now = self.script_engine.now()
            submitted = system_event(now, f"“{name}”提交", "submitted").to_dict()
        task.data[submitted_key(task.task_spec.bpmn_id)] = submitted
        try:
            task.run()
        except Exception as exc:
            if is_storage_error(exc):
                raise
            raise EngineError.of(exc, workflow) from exc
        self.advance(workflow)

    def cancel(self, workflow: BpmnWorkflow) -> None:
        """Cancel every task that has not finished (the instance is withdrawn)."""
        workflow.cancel()

    # -- reading ----------------------------------------------------------------------------
    @staticmethod
    def lane_names(spec_json: str) -> frozenset[str]:
        """Every lane of a definition (its called processes' included)."""
        return _lane_names(spec_json)

    @staticmethod
    def is_completed(workflow: BpmnWorkflow) -> bool:
        return workflow.is_completed()

    @staticmethod
    def data(workflow: BpmnWorkflow) -> dict[str, Any]:
        """The data of the latest completed task (what later documents draw from)."""
        last = workflow.last_task
        return dict(last.data) if last is not None else dict(workflow.data)

    @staticmethod
    def task_data(workflow: BpmnWorkflow, spiff_id: str) -> dict[str, Any]:
        task = _task(workflow, spiff_id)
        return dict(task.data) if task is not None else {}

    @staticmethod
    def task_properties(workflow: BpmnWorkflow, spiff_id: str) -> dict[str, str]:
        task = _task(workflow, spiff_id)
        if task is None:
            return {}
        return dict(task.task_spec.extensions.get("properties", {}))

    @staticmethod
    def user_task_specs(spec_json: str) -> list[UserTaskSpec]:
        """Every user task of a definition bundle, the called processes' after the caller's."""
        spec, subprocesses = _restore_spec(spec_json)
        return [
            UserTaskSpec(
                task_spec.bpmn_id,
                task_spec.lane or "",
                dict(task_spec.extensions.get("properties", {})),
            )
            for process in (spec, *subprocesses.values())
            for task_spec in process.task_specs.values()
            if getattr(task_spec, "manual", False) and getattr(task_spec, "bpmn_id", None)
        ]

    @staticmethod
    def ready_user_tasks(workflow: BpmnWorkflow) -> list[ReadyUserTask]:
        return [
            ReadyUserTask(
                str(task.id),
                task.task_spec.bpmn_id,
                task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                task.task_spec.lane or "",
                dict(task.task_spec.extensions.get("properties", {})),
                instructions.render(task),
                instructions.is_confirm_step(task.task_spec),
            )
            for task in workflow.get_tasks(state=TaskState.READY, manual=True)
        ]

    @staticmethod
    def timers(workflow: BpmnWorkflow) -> list[TimerState]:
        """Every timer event task the workflow has reached (waiting, fired or cancelled)."""
        found = []
        for task in workflow.get_tasks(spec_class=CatchingEvent):
            definition = task.task_spec.event_definition
            if not isinstance(definition, TimerEventDefinition):
                continue
            if task.state == TaskState.WAITING:
                state = "waiting"
            elif task.state in (TaskState.READY, TaskState.COMPLETED):
                state = "fired"
            elif task.state == TaskState.CANCELLED:
                state = "cancelled"
            else:
                continue  # predicted, not reached yet
            if state == "waiting" and task._get_internal_data("event_value") is None:
                definition.has_fired(task)  # evaluates and stores the deadline
            value = task._get_internal_data("event_value")
            due = TimerEventDefinition.get_datetime(value) if isinstance(value, str) else None
            due = due or iso_timers.next_due(value)
            host = host_task(task)
            clock = task._get_internal_data(CLOCK_KEY)
            found.append(
                TimerState(
                    str(task.id),
                    task.task_spec.bpmn_id,
                    task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                    str(host.id) if host is not None else None,
                    state,
                    due,
                    bool(task._get_internal_data("provisional", False)),
                    str(task._get_internal_data("explanation", "")),
                    dict(task.task_spec.extensions.get("properties", {})),
                    task._get_internal_data("suspended"),
                    Clock.from_dict(clock) if clock else None,
                )
            )
        return found

    def change_timer(
        self, workflow: BpmnWorkflow, spiff_id: str, change: dict[str, Any]
    ) -> Computed:
        """Append a change (``serve``, ``suspend``, ``resume``, ``extend``: ``app.clocks``)
        to a waiting timer's clock and store what it now computes."""
        task = _task(workflow, spiff_id)
        if task is None or task.state != TaskState.WAITING:
            raise TaskNotReady(spiff_id)
        clock = clock_of(task).with_change(change)
        apply_clock(task, clock)
        return clock.replay(self.script_engine.calendar())

    def recompute_timer(self, workflow: BpmnWorkflow, spiff_id: str) -> None:
        """Compute a waiting timer's deadline again over the current calendar (a corrected
        holiday schedule): its clock replayed, the start and every change kept."""
        task = _task(workflow, spiff_id)
        if task is None or task.state != TaskState.WAITING:
            return
        clock = task._get_internal_data(CLOCK_KEY)
        if clock is not None:
            apply_clock(task, Clock.from_dict(clock))
        elif not adjusted_before_clocks(task):  # waiting since before clocks: evaluate again
            for key in ("event_value", "provisional", "explanation"):
                task.internal_data.pop(key, None)
            apply_clock(task, evaluate_clock(task, task.task_spec.event_definition.expression))

    @staticmethod
    def element_states(workflow: BpmnWorkflow) -> dict[str, str]:
        """Diagram element id -> completed / active / waiting (for the auditor's viewer)."""
        rank = {"completed": 0, "waiting": 1, "active": 2}
        states = dict.fromkeys(Engine.completed_elements(workflow), "completed")
        for task in workflow.get_tasks():
            bpmn_id = getattr(task.task_spec, "bpmn_id", None)
            if not bpmn_id:
                continue
            if task.state == TaskState.COMPLETED:
                state = "completed"
            elif task.state == TaskState.READY and task.task_spec.manual:
                state = "active"
            elif task.state == TaskState.WAITING:
                state = "waiting"
            else:
                continue
            if rank[state] >= rank.get(states.get(bpmn_id, ""), -1):
                states[bpmn_id] = state
        return states
