"""Messages and signals between a workflow and the world: which messages a definition waits
for or starts with, whether a workflow waits for one whose correlation matches its data, and
the signals and messages it threw that no task of its own caught."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from app.engine.runtime import _restore_spec


@lru_cache(maxsize=256)
def message_names(spec_json: str) -> tuple[frozenset[str], frozenset[str]]:
    """(messages it waits for once running, messages that start it): catch events, receive
    tasks and boundary events; the top process's message start events."""
    spec, subprocesses = _restore_spec(spec_json)
    caught: set[str] = set()
    starting: set[str] = set()
    for process in (spec, *subprocesses.values()):
        for task_spec in process.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if not isinstance(task_spec, CatchingEvent) or not isinstance(
                definition, MessageEventDefinition
            ):
                continue
            if isinstance(task_spec, StartEvent) and process is spec:
                starting.add(definition.name)
            else:
                caught.add(definition.name)
    return frozenset(caught), frozenset(starting)


def take_payload(
    workflow: BpmnWorkflow, name: str, correlation: dict[str, Any], payload: dict[str, Any]
) -> bool:
    """Whether a task waits for the message ``name`` with every correlation value in its data.
    Such a task whose event names no ``messageVariable`` gets the payload's fields into its
    data now (as Camunda sets process variables); one that names it gets the payload there
    when the message is caught."""
    matched = False
    for task in workflow.get_tasks(state=TaskState.WAITING, spec_class=CatchingEvent):
        definition = task.task_spec.event_definition
        if not isinstance(definition, MessageEventDefinition) or definition.name != name:
            continue
        if all(_same(_held(task, definition, key), value) for key, value in correlation.items()):
            matched = True
            if getattr(definition, "message_var", None) is None and isinstance(payload, dict):
                task.data.update(payload)
    return matched


def _held(task: Any, definition: MessageEventDefinition, key: str) -> Any:
    """The waiting task's value of a correlation property: SpiffArena's
    ``processVariableCorrelation`` for it says how to read it from the data; otherwise the
    data field of that name."""
    for prop in getattr(definition, "process_correlations", None) or []:
        if prop.name == key:
            return _evaluate(task.workflow, prop.retrieval_expression, task.data)
    return task.data.get(key)


def _evaluate(workflow: BpmnWorkflow, expression: str, context: Any) -> Any:
    """A correlation expression's value, or None when it cannot be computed (a field the data
    or payload lacks): nothing but a waiting task without the value matches it then."""
    try:
        return workflow.script_engine.environment.evaluate(expression, dict(context or {}))
    except Exception:  # noqa: BLE001 - any failure of a modeler's expression means "no value"
        return None


def _same(held: Any, sent: Any) -> bool:
    return held == sent or (held is not None and str(held) == str(sent))


@dataclass(frozen=True)
class ThrownMessage:
    """A message an instance sent (send task, message throw or end event) that no task of its
    own caught: its name, payload and correlation (property id -> value)."""

    name: str
    payload: dict[str, Any]
    correlation: dict[str, Any]


def thrown_messages(workflow: BpmnWorkflow) -> list[ThrownMessage]:
    """The messages thrown since the last call that leave the workflow. The correlation is
    SpiffWorkflow's (the message's correlation properties that a correlation key uses), with
    every other correlation property of the message computed over the payload."""
    found = []
    kept = []
    for event in workflow.bpmn_events:
        definition = event.event_definition
        if not isinstance(definition, MessageEventDefinition):
            kept.append(event)
            continue
        payload = event.payload if isinstance(event.payload, dict) else {"payload": event.payload}
        correlation: dict[str, Any] = {}
        for values in (event.correlations or {}).values():
            correlation.update(values)
        for prop in definition.correlation_properties:
            if prop.name not in correlation:
                correlation[prop.name] = _evaluate(workflow, prop.retrieval_expression, payload)
        found.append(ThrownMessage(definition.name, dict(payload), _plain(correlation)))
    workflow.bpmn_events = kept
    return found


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Correlation values as JSON keeps them (a date as its ISO text)."""
    return {
        key: value if value is None or isinstance(value, str | int | float | bool) else str(value)
        for key, value in values.items()
    }


def signal_names(spec_json: str) -> frozenset[str]:
    """The signals a definition's catch events wait for."""
    spec, subprocesses = _restore_spec(spec_json)
    return frozenset(
        task_spec.event_definition.name
        for process in (spec, *subprocesses.values())
        for task_spec in process.task_specs.values()
        if isinstance(task_spec, CatchingEvent)
        and isinstance(getattr(task_spec, "event_definition", None), SignalEventDefinition)
    )


def thrown_signals(workflow: BpmnWorkflow) -> list[tuple[str, dict[str, Any]]]:
    """The signals thrown since the last call that leave the workflow (name, payload)."""
    found = []
    kept = []
    for event in workflow.bpmn_events:
        if isinstance(event.event_definition, SignalEventDefinition):
            found.append((event.event_definition.name, dict(event.payload or {})))
        else:
            kept.append(event)
    workflow.bpmn_events = kept
    return found


def send_signal(workflow: BpmnWorkflow, name: str, payload: dict[str, Any]) -> bool:
    """Deliver a signal from another instance; False when nothing here waits for it."""
    waiting = [
        t
        for t in workflow.get_tasks(state=TaskState.WAITING, spec_class=CatchingEvent)
        if isinstance(t.task_spec.event_definition, SignalEventDefinition)
        and t.task_spec.event_definition.name == name
    ]
    if not waiting:
        return False
    # the waiting task's own definition: SpiffArena's signal class is not the plain one
    workflow.catch(BpmnEvent(waiting[0].task_spec.event_definition, payload=payload))
    return True
