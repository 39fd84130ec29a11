"""The one SpiffWorkflow serializer, knowing our timer classes."""

from __future__ import annotations

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from app.engine.timers import REPLACEMENTS

_config = dict(SPIFF_CONFIG)
for _cls in REPLACEMENTS.values():
    _config[_cls] = TimerConditionalEventDefinitionConverter

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))
