"""SpiffWorkflow glue. Nothing outside this package imports SpiffWorkflow."""

from app.engine.decisions import DecisionOutline, outline_decisions, parse_with_decisions
from app.engine.migration import MigrationRefused, migrate
from app.engine.outline import ElementOutline, outline
from app.engine.parser import (
    MAX_BPMN_BYTES,
    BpmnDefinitionError,
    DefinitionProblem,
    ParsedProcess,
    ScriptInfo,
    TimerInfo,
    UserTaskInfo,
    called_elements,
    executable_process_ids,
    parse_bpmn,
    started_processes,
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
    "ElementOutline",
    "Engine",
    "EngineError",
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
    "executable_process_ids",
    "migrate",
    "outline",
    "parse_bpmn",
    "outline_decisions",
    "parse_with_decisions",
    "started_processes",
]
