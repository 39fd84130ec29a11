"""The one SpiffWorkflow serializer, knowing our timer classes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from app.engine.timers import REPLACEMENTS


class WorkflowStateConverter(BpmnWorkflowConverter):
    """A workflow's state without its spec and called process specs.

    A definition's specs are stored once with the definition (``spec_json``) and restored from
    there on load, so serializing them again at every step would only be thrown away.
    """

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def mapping_from_dict(
        self, mapping: dict[str, Any], key_class: Any = None, **kwargs: Any
    ) -> Any:
        # the task mapping's keys through the id memo (its tasks' ids then parse for free)
        key_class = parse_task_id if key_class is UUID else key_class
        return super().mapping_from_dict(mapping, key_class, **kwargs)


_UUIDS: dict[str, UUID] = {}


def parse_task_id(text: str) -> UUID:
    """Each id parsed once: a task's id is also the key it is stored under, its parent's child
    and its children's parent, and parsing ids was half the cost of restoring a workflow."""
    parsed = _UUIDS.get(text)
    if parsed is None:
        if len(_UUIDS) >= 65536:
            _UUIDS.clear()
        parsed = _UUIDS[text] = UUID(text)
    return parsed


class TaskStateConverter(TaskConverter):
    """SpiffWorkflow 3.2's ``TaskConverter.from_dict``, ids through ``parse_task_id``."""

    def from_dict(self, dct: dict[str, Any], workflow: Any) -> Task:
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(
            workflow, task_spec, state=dct["state"], id=parse_task_id(dct["id"])
        )
        task._parent = parse_task_id(dct["parent"]) if dct["parent"] is not None else None
        task._children = [parse_task_id(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = self.registry.restore(dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        if delta and task.parent is not None:
            data = DeepMerge.merge({}, task.parent.data)
            data.update(self.registry.restore(delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                data.pop(key, None)
        else:
            data = self.registry.restore(dct["data"])
        task.data = data
        return task


_config = dict(SPIFF_CONFIG)
_config[Task] = TaskStateConverter
for _cls in REPLACEMENTS.values():
    _config[_cls] = TimerConditionalEventDefinitionConverter
_config[BpmnWorkflow] = WorkflowStateConverter

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))
