"""Running workflows: start, load, advance, complete, and read what people and timers need.

The rest of the product talks to SpiffWorkflow only through this module and ``parser``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from app import jsontext
from app.engine.compaction import compact
from app.engine.sandbox import SAFE_FUNCTIONS, SandboxEnvironment, deadline_functions
from app.engine.serializer import SERIALIZER, parse_task_id
from app.workdays import WorkCalendar

_VERSION_KEY = "serializer_version"
# Diagram elements completed by tasks that compaction removed from the stored state (sorted
# list in the state; a set on the loaded workflow), so the viewer still marks them done.
_DONE_KEY = "huajie_completed_elements"
_DONE_ATTR = "huajie_completed_elements"
_STORED_ATTR = "huajie_stored_tasks"  # how many tasks the last dump stored


SUSPENDED_UNTIL = datetime(9999, 12, 31, tzinfo=UTC)  # a parked timer never fires


def _task(workflow: BpmnWorkflow, spiff_id: str) -> Any:
    """The workflow's task with this id, or None (ids through the serializer's memo)."""
    return workflow.get_task_from_id(parse_task_id(spiff_id))


class EngineError(RuntimeError):
    """The diagram could not run (a script, expression or gateway failed)."""


class TaskNotReady(LookupError):
    pass


@dataclass
class ReadyUserTask:
    spiff_id: str
    bpmn_id: str
    name: str
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


class HuajieScriptEngine(PythonScriptEngine):
    def __init__(self, calendar: Callable[[], WorkCalendar], now: Callable[[], datetime]) -> None:
        functions = dict(SAFE_FUNCTIONS)
        functions.update(deadline_functions(calendar))
        super().__init__(environment=SandboxEnvironment(functions))
        self.now = now


@lru_cache(maxsize=64)
def _restore_spec(spec_json: str) -> tuple[Any, dict[str, Any]]:
    """(process spec, called process specs) from a definition's spec bundle."""
    bundle = json.loads(spec_json)
    if "subprocess_specs" not in bundle:  # a definition deployed before call activities
        return SERIALIZER.from_dict(bundle), {}
    subprocesses = {k: SERIALIZER.from_dict(v) for k, v in bundle["subprocess_specs"].items()}
    return SERIALIZER.from_dict(bundle["spec"]), subprocesses


class Engine:
    def __init__(self, calendar: Callable[[], WorkCalendar], now: Callable[[], datetime]) -> None:
        self.script_engine = HuajieScriptEngine(calendar, now)

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, spec_json: str, data: dict[str, Any]) -> BpmnWorkflow:
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
        except SpiffWorkflowException as exc:
            raise EngineError(str(exc)) from exc

    def deliver(self, workflow: BpmnWorkflow, name: str, payload: dict[str, Any]) -> bool:
        """Send a BPMN message; False when nothing in the workflow waits for it."""
        event = BpmnEvent(MessageEventDefinition(name), payload=payload)
        try:
            workflow.send_event(event)
        except WorkflowException:
            return False
        self.advance(workflow)
        return True

    def complete(self, workflow: BpmnWorkflow, spiff_id: str, data: dict[str, Any]) -> None:
        task = _task(workflow, spiff_id)
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(spiff_id)
        task.data.update(data)
        try:
            task.run()
        except SpiffWorkflowException as exc:
            raise EngineError(str(exc)) from exc
        self.advance(workflow)

    # -- reading ----------------------------------------------------------------------------
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
    def ready_user_tasks(workflow: BpmnWorkflow) -> list[ReadyUserTask]:
        return [
            ReadyUserTask(
                str(task.id),
                task.task_spec.bpmn_id,
                task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                task.task_spec.lane or "",
                dict(task.task_spec.extensions.get("properties", {})),
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
            host = None
            if task.parent is not None and task.parent.task_spec.name.endswith(
                ".BoundaryEventSplit"
            ):
                host = next((str(c.id) for c in task.parent.children if c.task_spec.manual), None)
            found.append(
                TimerState(
                    str(task.id),
                    task.task_spec.bpmn_id,
                    task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                    host,
                    state,
                    due,
                    bool(task._get_internal_data("provisional", False)),
                    str(task._get_internal_data("explanation", "")),
                    dict(task.task_spec.extensions.get("properties", {})),
                    task._get_internal_data("suspended"),
                )
            )
        return found

    @staticmethod
    def set_timer(
        workflow: BpmnWorkflow,
        spiff_id: str,
        due: datetime | None,
        explanation: str,
        suspended: dict[str, Any] | None = None,
    ) -> None:
        """Move a waiting timer (延长), or park it while its deadline is suspended (中止)."""
        task = _task(workflow, spiff_id)
        if task is None or task.state != TaskState.WAITING:
            raise TaskNotReady(spiff_id)
        value = (due or SUSPENDED_UNTIL).isoformat()
        task._set_internal_data(event_value=value, explanation=explanation, provisional=False)
        if suspended is None:
            task.internal_data.pop("suspended", None)
        else:
            task._set_internal_data(suspended=suspended)

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

    @staticmethod
    def recompute_timer(workflow: BpmnWorkflow, spiff_id: str) -> None:
        """Forget a waiting timer's computed deadline so it is evaluated again (new calendar)."""
        task = _task(workflow, spiff_id)
        if task is not None and task.state == TaskState.WAITING:
            for key in ("event_value", "provisional", "explanation"):
                task.internal_data.pop(key, None)
            task.task_spec.event_definition.has_fired(task)
