"""SpiffWorkflow alone, in memory: the physical limit of this stack to compare with."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from quickbench.common import FORM_DATA

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


def raw_spec(xml: bytes, process_id: str) -> Any:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(xml, f"{process_id}.bpmn")
    return parser.get_spec(process_id)


def raw_start(spec: Any, script_engine: PythonScriptEngine, data: dict[str, Any]) -> BpmnWorkflow:
    workflow = BpmnWorkflow(spec, script_engine=script_engine)
    workflow.task_tree.data.update(data)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    workflow.do_engine_steps()
    return workflow


def raw_step(workflow: BpmnWorkflow) -> bool:
    """Complete the first ready user task; False when there is none."""
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    if not ready:
        return False
    ready[0].data.update(FORM_DATA)
    ready[0].run()
    workflow.do_engine_steps()
    return True


def roundtrip(workflow: BpmnWorkflow, script_engine: PythonScriptEngine) -> BpmnWorkflow:
    restored = SERIALIZER.deserialize_json(SERIALIZER.serialize_json(workflow))
    restored.script_engine = script_engine
    return restored


def raw_instance(spec: Any, script_engine: PythonScriptEngine, serialized: bool) -> None:
    """One instance of the sequence, start to end (serialized after every step if asked)."""
    workflow = raw_start(spec, script_engine, {})
    while True:
        if serialized:
            workflow = roundtrip(workflow, script_engine)
        if not raw_step(workflow):
            break
    assert workflow.is_completed()
