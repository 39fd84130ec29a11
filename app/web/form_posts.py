"""HTML form strings converted to the JSON types the schema names."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from app.forms.common import TRUTHY, enum_values, primary_type, properties_of, to_str


def parse_submission(schema: dict[str, Any], form: MultiDict[str, str]) -> dict[str, Any]:
    """Convert submitted HTML form strings into JSON values according to ``schema``.

    Only top-level schema properties are read (``csrf_token`` and other extra form keys
    are ignored).  Empty values are left out so that ``required`` reports them; numbers
    that do not parse are kept as the raw string so validation reports a type error.
    Booleans are ``True`` for "on"/"true"/"1" and ``False`` otherwise (including absent).
    """
    result: dict[str, Any] = {}
    for name, prop in properties_of(schema).items():
        if not isinstance(prop, dict):
            continue
        typ = primary_type(prop)
        if typ == "boolean":
            raw = form.get(name)
            result[name] = raw is not None and raw.strip().lower() in TRUTHY
            continue
        if typ == "array":
            if prop.get("format") == "attachments":
                continue  # files are not form fields: the page passes them on as uploads
            items: dict[str, Any] = prop["items"] if isinstance(prop.get("items"), dict) else {}
            values = _array_values(form.getlist(name), enum_values(items) is not None)
            if values:
                result[name] = [_convert(v, items) for v in values]
            continue
        raw = form.get(name)
        if raw is None:
            continue
        text = _clean_text(raw)
        if text == "":
            continue
        result[name] = _convert(text, prop)
    return result


def _clean_text(raw: str) -> str:
    return raw.replace("\r\n", "\n").replace("\r", "\n").strip()


def _array_values(raw_values: list[str], from_choices: bool) -> list[str]:
    out: list[str] = []
    for raw in raw_values:
        chunks = [raw] if from_choices else _clean_text(raw).split("\n")
        out.extend(c.strip() for c in chunks if c.strip())
    return out


def _convert(text: str, prop: Mapping[str, Any]) -> Any:
    """Convert one stripped, non-empty string to the JSON type ``prop`` asks for."""
    enum = enum_values(prop)
    if enum is not None:
        for candidate in enum:
            if to_str(candidate) == text:
                return candidate
    typ = primary_type(prop)
    if typ == "integer":
        return _parse_integer(text)
    if typ == "number":
        return _parse_number(text)
    if typ == "boolean":
        return text.lower() in TRUTHY
    return text


def _number_text(text: str) -> str:
    # tolerate thousands separators and full-width characters commonly typed in Chinese IMEs
    return (
        text.replace(",", "")
        .replace("，", "")
        .replace("．", ".")
        .replace("－", "-")
        .replace("＋", "+")
        .replace(" ", "")
    )


def _parse_integer(text: str) -> int | str:
    number = _parse_number(text)
    if isinstance(number, float):  # "3.0" is 3; "3.5" stays text for the validator to refuse
        return int(number) if number.is_integer() else text
    return number


def _parse_number(text: str) -> int | float | str:
    cleaned = _number_text(text)
    try:
        return int(cleaned)
    except ValueError:
        pass
    try:
        number = float(cleaned)
    except ValueError:
        return text
    return number if math.isfinite(number) else text
