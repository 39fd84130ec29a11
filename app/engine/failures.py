"""How a diagram fails at run time: the engine's error, with the element that failed and the
workflow as the failure left it (an incident keeps it and retries from there)."""

from __future__ import annotations

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from app.engine import wording


class EngineError(RuntimeError):
    """The diagram could not run (a script, expression, gateway or timer failed).

    ``str()`` is the engine's own words; ``message`` says it in Chinese. ``element_id`` is the
    diagram element that failed (when known) and ``workflow`` the workflow as the failure left
    it (its failed task in the ERROR state), for an incident to keep and retry."""

    def __init__(
        self,
        english: str,
        element_id: str = "",
        element_name: str = "",
        workflow: BpmnWorkflow | None = None,
    ) -> None:
        super().__init__(english)
        self.element_id = element_id
        self.element_name = element_name
        self.workflow = workflow

    @property
    def message(self) -> str:
        return wording.runtime_message(str(self))

    @classmethod
    def of(cls, exc: Exception, workflow: BpmnWorkflow | None = None) -> EngineError:
        """SpiffWorkflow's message with the reason it wraps (a refused name, a missing event)."""
        if isinstance(exc, SpiffWorkflowException):
            cause = exc.__cause__ or exc.__context__
            text = str(exc).rstrip("。. ")
            english = f"{text}：{cause}" if cause is not None and str(cause) else text
        else:
            english = f"{type(exc).__name__}: {exc}"
        task = getattr(exc, "task", None)
        if task is None and workflow is not None:
            task = next(iter(workflow.get_tasks(state=TaskState.ERROR)), None)
        spec = getattr(task, "task_spec", None)
        return cls(
            english,
            str(getattr(spec, "bpmn_id", "") or ""),
            str(getattr(spec, "bpmn_name", "") or ""),
            workflow,
        )


def is_storage_error(exc: Exception) -> bool:
    """A database error inside a calendar lookup is not the diagram's fault: let it through."""
    return type(exc).__module__.split(".")[0] in {"sqlalchemy", "psycopg", "sqlite3"}
