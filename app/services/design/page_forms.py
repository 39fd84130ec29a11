"""Forms the web modeler makes (创建默认表单): sent with the diagram to 校验 and 部署 and stored
with the version, as forms uploaded beside a .bpmn file are (``definitions.Resources.forms``).

A user task needs a form; a new process has none in ``forms/``. The default form asks for one
thing, 办理意见 (a textarea), which any step can be worked with; a process owner replaces it
by choosing a form file of the process when there is one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from app.errors import InvalidInput

OPINION = "opinion"
MAX_FORMS = 100
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,99}\.(?:ui)?schema\.json$")

DEFAULT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "",  # the task's name, set by the page
    "properties": {
        OPINION: {"type": "string", "title": "办理意见", "minLength": 1, "maxLength": 2000}
    },
    "required": [OPINION],
    "additionalProperties": False,
}
DEFAULT_UISCHEMA: dict[str, Any] = {OPINION: {"ui:widget": "textarea"}}


def default_form() -> dict[str, Any]:
    """What the page fills in for a task's default form (its schema and UI schema)."""
    return {"schema": DEFAULT_SCHEMA, "uischema": DEFAULT_UISCHEMA}


def parse(process_id: str, raw: Any, forms_dir: Path) -> dict[str, bytes]:
    """The page's forms as files (path under forms/ -> JSON text); every bad one named."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_FORMS:
        raise InvalidInput("表单须为“路径 → JSON 对象”", {"forms": [f"至多 {MAX_FORMS} 个表单"]})
    errors: dict[str, list[str]] = {}
    found: dict[str, bytes] = {}
    for path, form in raw.items():
        folder, _, name = str(path).partition("/")
        if folder != process_id or not _NAME.match(name):
            wanted = f"{process_id}/<名称>.schema.json（或 .uischema.json）"
            errors[str(path)[:200]] = [f"路径须为 {wanted}"]
        elif (forms_dir / folder / name).exists():
            errors[path] = ["表单目录中已有此文件，请在列表中选择它"]
        elif not isinstance(form, dict):
            errors[path] = ["表单须为 JSON 对象"]
        else:
            found[path] = json.dumps(form, ensure_ascii=False).encode("utf-8")
    if errors:
        raise InvalidInput("建模器提交的表单有误", errors)
    return found
