"""The data a failed step runs with: what an incident's correction reads and changes.

After an incident the failed steps stay in the ERROR state (or, when the failure came before a
step was created, the ready engine steps wait); a retry runs them again. Correcting the data
writes into those steps only, so a saved correction is what the next retry sees.
"""

from __future__ import annotations

import re
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

_UNDEFINED_NAME = re.compile(r"name '([A-Za-z_][A-Za-z0-9_]*)' is not defined")


def failed_steps(workflow: BpmnWorkflow) -> list[Any]:
    """The steps a retry runs again: the failed ones, else the ready engine steps."""
    failed = workflow.get_tasks(state=TaskState.ERROR)
    return failed or [
        t for t in workflow.get_tasks(state=TaskState.READY) if not t.task_spec.manual
    ]


def failed_step_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The process data the failed steps see (the last one's value where they differ)."""
    merged: dict[str, Any] = {}
    for task in failed_steps(workflow):
        merged.update(task.data)
    return merged


def correct(workflow: BpmnWorkflow, data: dict[str, Any]) -> None:
    """Merge ``data`` into the failed steps' data without running them."""
    for task in failed_steps(workflow):
        task.data.update(data)


def undefined_names(english: str) -> list[str]:
    """The names a failure says the data lacks (the engine's words, as the incident keeps
    them): the fields a correction may add."""
    return list(dict.fromkeys(_UNDEFINED_NAME.findall(english)))
