"""SpiffWorkflow glue. Nothing outside this package imports SpiffWorkflow."""

from app.engine.checking import flow_element_ids, parse_bpmn
from app.engine.decisions import DecisionOutline, outline_decisions, parse_with_decisions
from app.engine.incident_data import correct as correct_failed_steps
from app.engine.incident_data import failed_step_data, undefined_names
from app.engine.migration import MigrationRefused, migrate
from app.engine.outline import ElementOutline, outline
from app.engine.parser import (
    MAX_BPMN_BYTES,
    ParsedProcess,
    ScriptInfo,
    TimerInfo,
    UserTaskInfo,
    called_elements,
    executable_process_ids,
    started_processes,
)
from app.engine.problems import (
    BpmnDefinitionError,
    DefinitionProblem,
    DiagramFacts,
    MessageSend,
    MessageWait,
)
from app.engine.runtime import (
    Engine,
    EngineError,
    ReadyUserTask,
    TaskNotReady,
    TimerState,
    UserTaskSpec,
)
from app.engine.sandbox import SandboxError, check_source
from app.engine.timers import SUBMITTED_PREFIX

__all__ = [
    "MAX_BPMN_BYTES",
    "SUBMITTED_PREFIX",
    "BpmnDefinitionError",
    "DecisionOutline",
    "DefinitionProblem",
    "DiagramFacts",
    "ElementOutline",
    "Engine",
    "EngineError",
    "MessageSend",
    "MessageWait",
    "MigrationRefused",
    "ParsedProcess",
    "ReadyUserTask",
    "SandboxError",
    "ScriptInfo",
    "TaskNotReady",
    "TimerInfo",
    "TimerState",
    "UserTaskInfo",
    "UserTaskSpec",
    "called_elements",
    "check_source",
    "correct_failed_steps",
    "failed_step_data",
    "executable_process_ids",
    "flow_element_ids",
    "migrate",
    "outline",
    "parse_bpmn",
    "outline_decisions",
    "parse_with_decisions",
    "started_processes",
    "undefined_names",
]
