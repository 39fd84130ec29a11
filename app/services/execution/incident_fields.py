"""An incident's process data as fields a process owner corrects, and the checks a correction
passes before anything is stored.

The data is what the failed step runs with. Each key is labelled by the first form of the
instance's version that gives it a title, typed by that form's property (or, without one, by
its current value), and hidden when the task that wrote it last is one the owner may not read
(the read rule, ``access``): an incident does not open other units' submissions. A name the
failure says is missing (``fine`` in "name 'fine' is not defined") is offered as a new field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, inputs
from app.engine import failed_step_data, undefined_names
from app.forms import fields_for, validate_submission
from app.forms.fields import resolve_widget
from app.models import Incident, ProcessInstance, TaskRecord
from app.services.actor import Actor
from app.services.execution import task_forms
from app.services.execution.workflows import ENGINE, pinned_definition
from app.services.identity import access
from app.services.identity.permissions import Action, may
from app.services.reporting import labels

MAX_CORRECTION_KEYS = 50
MAX_REASON_LENGTH = 2000

# what a field holds, as its editor shows it
KINDS = ("string", "integer", "number", "date", "boolean", "select", "json", "new")
NEW_VALUE_KINDS = {"string": "文本", "number": "数字", "date": "日期", "boolean": "是/否"}
_WIDGET_KINDS = {
    "checkbox": "boolean", "integer": "integer", "number": "number", "date": "date",
    "select": "select", "radio": "select", "lines": "json", "checkboxes": "json", "files": "json",
}  # fmt: skip
_KIND_WORDS = {
    "string": "须为文本", "integer": "须为整数", "number": "须为数字",
    "date": "须为日期（YYYY-MM-DD）", "boolean": "须为“是”或“否”",
    "select": "请从选项中选择", "json": "须为对象或列表（JSON）",
    "new": "须为文本、数字、日期或是/否",
}  # fmt: skip


@dataclass
class DataField:
    """One key of the failed step's data, as the correction page shows it."""

    key: str  # shown only on this page (process owners and admins) when no form names it
    label: str  # the form's title for the key; "" when no form of the version names it
    kind: str
    value: Any = None
    readable: bool = True
    missing: bool = False  # the failure names it; the data does not hold it yet
    options: list[tuple[str, str]] = field(default_factory=list)
    schema: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """How the field is called in messages and in the history."""
        return self.label or self.key

    @property
    def text(self) -> str:
        """The value as a person reads it (nested values too)."""
        if self.kind in ("select", "boolean") and self.options:
            return dict(self.options).get(str(self.value), labels.plain(self.value))
        return labels.plain(self.value)

    @property
    def input_text(self) -> str:
        """The value as an ``<input>`` holds it."""
        if self.value is None or isinstance(self.value, bool):
            return ""
        if self.kind == "json":
            return json.dumps(self.value, ensure_ascii=False, indent=2)
        return str(self.value)


def data_fields(session: Session, actor: Actor, incident: Incident) -> dict[str, DataField]:
    """The keys of the failed step's data (less the product's own ``_`` keys), then the names
    the failure says are missing."""
    instance = incident.instance
    definition = pinned_definition(session, instance)
    workflow = ENGINE.load(definition.spec_json, instance.state)
    data = {k: v for k, v in failed_step_data(workflow).items() if not k.startswith("_")}
    hidden = _hidden_keys(session, actor, instance, data)
    named = _form_fields(session, definition.forms)
    found: dict[str, DataField] = {}
    for key, value in data.items():
        found[key] = _field(key, value, named.get(key), readable=key not in hidden)
    for key in undefined_names(incident.detail):
        if key not in found and not key.startswith("_"):
            found[key] = _field(key, None, named.get(key), readable=True, missing=True)
    return found


def _field(
    key: str, value: Any, form: DataField | None, readable: bool, missing: bool = False
) -> DataField:
    if form is not None:
        return DataField(
            key, form.label, form.kind, value, readable, missing, form.options, form.schema
        )
    return DataField(key, "", _kind_of(value), value, readable, missing)


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "date" if _is_date(value) else "string"
    if isinstance(value, Mapping | list):
        return "json"
    return "new"  # None: the owner says what it holds


def _is_date(value: str) -> bool:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10 and inputs.day_problem(day) is None


def _form_fields(session: Session, forms: Mapping[str, Any]) -> dict[str, DataField]:
    """Key -> the first titled property of the version's forms, with its kind and options."""
    found: dict[str, DataField] = {}
    today = clock.local_now().date()
    for name in sorted(forms):
        if not name.endswith(".schema.json") or not isinstance(forms[name], dict):
            continue
        schema = task_forms.prepare(session, forms[name])
        ui = forms.get(name.replace(".schema.json", ".uischema.json"))
        for f in fields_for(schema, ui if isinstance(ui, dict) else None, {}, today):
            if f.name in found or f.label == f.name:
                continue
            widget, _ = resolve_widget(f.schema, None)
            kind = _WIDGET_KINDS.get(widget, "string")
            options = list(f.options) if kind == "select" else []
            if kind == "boolean":
                options = [("True", "是"), ("False", "否")]
            found[f.name] = DataField(f.name, f.label, kind, options=options, schema=f.schema)
    return found


def _hidden_keys(
    session: Session, actor: Actor, instance: ProcessInstance, data: Mapping[str, Any]
) -> set[str]:
    tasks = list(session.scalars(select(TaskRecord).where(TaskRecord.instance_id == instance.id)))
    reading = access.reading(session, actor, instance, tasks)
    readable = frozenset(t.id for t in tasks if reading.task(t))
    return set(data) - set(access.visible_prefill(dict(data), tasks, readable))


# -- checking a correction ------------------------------------------------------------------
def problems(
    actor: Actor,
    fields: Mapping[str, DataField],
    corrections: Any,
    reason: Any,
    kinds: Mapping[str, str] | None = None,
) -> dict[str, list[str]]:
    """Every problem of a correction at once, by key ("reason" for the reason, "" for the
    whole); empty when it may be stored. ``kinds`` are what the owner says a new field holds
    (a page's choice; without one, any plain value)."""
    found: dict[str, list[str]] = {}
    if reason is not None and not isinstance(reason, str):
        found["reason"] = ["更正的理由须为文本"]
    elif reason is not None:
        text = reason.strip()
        if not text:
            found["reason"] = ["请填写更正的理由"]
        elif problem := inputs.text_problem(text, MAX_REASON_LENGTH):
            found["reason"] = [problem]
    if not isinstance(corrections, dict) or len(corrections) > MAX_CORRECTION_KEYS:
        found[""] = [f"更正的数据须为字段到值的对象（最多 {MAX_CORRECTION_KEYS} 项）"]
        return found
    for key, value in corrections.items():
        f = fields.get(key) if isinstance(key, str) else None
        chosen = (kinds or {}).get(key) if f is not None and f.kind == "new" else None
        wrong = _problem(actor, f, key, value, chosen if chosen in NEW_VALUE_KINDS else None)
        if wrong:
            found[str(key)] = [wrong]
    return found


def _problem(
    actor: Actor, f: DataField | None, key: Any, value: Any, chosen: str | None
) -> str | None:
    if f is None:
        return f"“{key}”不是该流程实例的数据，也不是故障所缺的字段"
    if not f.readable:
        return f"{f.name}：由您无权查看的环节填写，不能更正"
    if value is None:
        return None  # cleared
    if problem := inputs.nested_too_deep(value) or inputs.nested_text_problem(value):
        return f"{f.name}：{problem}"
    kind = chosen or f.kind
    if not _fits(kind, value, f.options):
        return f"{f.name}：{_KIND_WORDS[kind]}"
    if isinstance(value, dict | list) and not may(actor.role, Action.READ_RAW):
        return f"{f.name}：嵌套的数据（对象、列表）只有系统管理员可以更正"
    if f.schema:
        errors = validate_submission({"type": "object", "properties": {f.key: f.schema}},
                                     {f.key: value})  # fmt: skip
        if errors:
            return f"{f.name}：{'；'.join(m for ms in errors.values() for m in ms)}"
    return None


def _fits(kind: str, value: Any, options: list[tuple[str, str]]) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and isinstance(value, float) and not math.isfinite(value):
        return False
    match kind:
        case "boolean":
            return isinstance(value, bool)
        case "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        case "number":
            return number
        case "date":
            return isinstance(value, str) and _is_date(value)
        case "string":
            return isinstance(value, str)
        case "select":
            return not options or str(value) in dict(options)
        case "json":
            return isinstance(value, dict | list)
    return number or isinstance(value, str | bool | dict | list)  # new


def field_names(fields: Mapping[str, DataField], keys: list[str]) -> tuple[list[str], int]:
    """The labels of the corrected keys that a form names, and how many have no label (the
    history names no raw key)."""
    named = [fields[k].label for k in keys if k in fields and fields[k].label]
    return named, len(keys) - len(named)
