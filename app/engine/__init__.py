"""SpiffWorkflow glue. Nothing outside this package imports SpiffWorkflow."""

from app.engine.parser import (
    BpmnDefinitionError,
    DefinitionProblem,
    ParsedProcess,
    TimerInfo,
    UserTaskInfo,
    called_elements,
    executable_process_ids,
    parse_bpmn,
)
from app.engine.runtime import Engine, EngineError, ReadyUserTask, TaskNotReady, TimerState
from app.engine.sandbox import SandboxError, check_source

__all__ = [
    "BpmnDefinitionError",
    "DefinitionProblem",
    "Engine",
    "EngineError",
    "ParsedProcess",
    "ReadyUserTask",
    "SandboxError",
    "TaskNotReady",
    "TimerInfo",
    "TimerState",
    "UserTaskInfo",
    "called_elements",
    "check_source",
    "executable_process_ids",
    "parse_bpmn",
]
