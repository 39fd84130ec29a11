"""The incident page's form as corrections: typed where the text parses as its field's kind,
kept as typed otherwise (so the one check in the service names every bad value at once)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from werkzeug.datastructures import MultiDict

from app.forms.common import enum_values, to_str
from app.services.execution.incident_fields import DataField

_INTEGER = re.compile(r"[+-]?\d+")
VALUE = "value."  # the input of a field: value.<key>
KIND = "kind."  # what a new field holds: kind.<key>
_BOOLEANS = {"true": True, "是": True, "false": False, "否": False}


def corrections(
    fields: Iterable[DataField], form: MultiDict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The values that differ from the data (an empty input changes nothing), and the kinds
    chosen for new fields."""
    changed: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    for f in fields:
        raw = form.get(VALUE + f.key)
        if raw is None or not f.readable:
            continue
        text = raw.replace("\r\n", "\n").strip()
        if text == "":
            continue
        kind = form.get(KIND + f.key, "") if f.kind == "new" else f.kind
        if f.kind == "new":
            kinds[f.key] = kind
        value = _typed(kind, text, f)
        if f.missing or value != f.value:
            changed[f.key] = value
    return changed, kinds


def _typed(kind: str, text: str, f: DataField) -> Any:
    if kind == "boolean":
        return _BOOLEANS.get(text.lower(), text)
    if kind in ("integer", "number"):
        return _number(text)
    if kind == "select":
        return {to_str(v): v for v in enum_values(f.schema) or []}.get(text, text)
    if kind == "json":
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            return text
    return text


def _number(text: str) -> Any:
    cleaned = text.replace(",", "").replace("，", "")
    try:
        return int(cleaned) if _INTEGER.fullmatch(cleaned) else float(cleaned)
    except ValueError:  # not a number, or more digits than Python converts
        return text
