"""The one SpiffWorkflow serializer, knowing our timer classes."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

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


_config = dict(SPIFF_CONFIG)
for _cls in REPLACEMENTS.values():
    _config[_cls] = TimerConditionalEventDefinitionConverter
_config[BpmnWorkflow] = WorkflowStateConverter

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))
