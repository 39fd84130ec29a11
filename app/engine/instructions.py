"""What a task tells the person who works it: SpiffArena's ``instructionsForEndUser``, a Jinja
template over the process data (``{{ my_message }}``), rendered when the task becomes ready.

Rendered in Jinja's sandbox (no attribute tricks, no imports), over the data a script may read
(names starting with ``_`` are the product's), to plain text; the pages escape it. A template that
does not render shows as written, never as an error.
"""

from __future__ import annotations

from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask

INSTRUCTIONS_KEY = "instructionsForEndUser"
MAX_CHARS = 4000
_ENVIRONMENT = SandboxedEnvironment(autoescape=False)


def render(task: Any) -> str:
    template = str(task.task_spec.extensions.get(INSTRUCTIONS_KEY) or "").strip()
    if not template:
        return ""
    data = {k: v for k, v in task.data.items() if isinstance(k, str) and not k.startswith("_")}
    try:
        text = _ENVIRONMENT.from_string(template).render(data)
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError):
        text = template
    return text.strip()[:MAX_CHARS]


def is_confirm_step(task_spec: Any) -> bool:
    """A manual task or a plain task: worked by confirming, without a form."""
    return isinstance(task_spec, ManualTask | NoneTask)
