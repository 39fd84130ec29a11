"""jsonschema validation with Chinese messages per field."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import orjson
from jsonschema import FormatChecker, ValidationError
from jsonschema.validators import Draft202012Validator, validator_for

from app import inputs
from app.forms.common import (
    CHECK_MSG,
    ENUM_MSG,
    FORMAT_MSGS,
    REQUIRED_MSG,
    TYPE_NAMES,
    enum_values,
    properties_of,
    to_str,
)

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_LOCAL_RE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?")
_DATETIME_OFFSET_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
)


def _is_date(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    if not _DATE_RE.fullmatch(instance):
        return False
    try:
        day = date.fromisoformat(instance)
    except ValueError:
        return False
    return inputs.day_problem(day) is None


def _is_datetime(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    text = instance
    if _DATETIME_OFFSET_RE.fullmatch(text):
        # fromisoformat accepts at most 6 fractional digits; trim longer fractions
        text = re.sub(r"(\.\d{6})\d+", r"\1", text)
        text = text[:-1] + "+00:00" if text[-1] in "Zz" else text
    elif not _DATETIME_LOCAL_RE.fullmatch(text):
        return False
    try:
        moment = datetime.fromisoformat(text[:10] + "T" + text[11:])
    except ValueError:
        return False
    return inputs.day_problem(moment.date()) is None


def _range_problem(instance: object) -> str | None:
    """Why a well-formed date or date-time was refused: it lies outside the accepted years."""
    if isinstance(instance, str) and _DATE_RE.match(instance):
        try:
            return inputs.day_problem(date.fromisoformat(instance[:10]))
        except ValueError:
            return None
    return None


def _format_checker() -> FormatChecker:
    checker = FormatChecker()
    checker.checks("date")(_is_date)
    checker.checks("date-time")(_is_datetime)
    return checker


FORMAT_CHECKER = _format_checker()


_VALIDATORS: dict[bytes, Any] = {}  # by the schema's text: forms come as fresh copies


def _validator(schema: Mapping[str, Any]) -> Any:
    """Built once per distinct schema (building one costs more than checking a submission)."""
    try:
        key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:  # not JSON text: built for this call only
        key = None
    validator = _VALIDATORS.get(key) if key is not None else None
    if validator is None:
        cls = validator_for(schema, default=Draft202012Validator)
        validator = cls(schema, format_checker=FORMAT_CHECKER)
        if key is not None:
            if len(_VALIDATORS) >= 512:
                _VALIDATORS.clear()
            _VALIDATORS[key] = validator
    return validator


def validate_submission(schema: dict[str, Any], data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Validate ``data`` against ``schema``; return ``{field: [Chinese messages]}``.

    Messages for nested values are attached to their top-level property; errors that
    belong to no property (wrong root type, undefined fields, …) use the key ``""``.
    An empty dict means the submission is valid.
    """
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        bucket = errors.setdefault(name, [])
        if message not in bucket:
            bucket.append(message)

    properties = properties_of(schema)
    for error in sorted(_validator(schema).iter_errors(data), key=_error_order(properties)):
        for name, message in _messages(error, schema, properties):
            add(name, message)
    if isinstance(data, Mapping):
        for key, value in data.items():
            problem = inputs.text_problem(key) if isinstance(key, str) else None
            if problem:
                add("", problem)
            elif problem := inputs.nested_text_problem(value):
                add(str(key), problem)
    return errors


def _error_order(properties: Mapping[str, Any]) -> Any:
    index = {name: i for i, name in enumerate(properties)}

    def key(error: ValidationError) -> tuple[int, int]:
        path = list(error.absolute_path)
        first = path[0] if path else None
        return (index.get(first, len(index)) if isinstance(first, str) else -1, len(path))

    return key


def _messages(
    error: ValidationError, schema: Mapping[str, Any], properties: Mapping[str, Any]
) -> Iterable[tuple[str, str]]:
    path = list(error.absolute_path)
    kind = str(error.validator)
    value = error.validator_value
    instance = error.instance

    if kind in ("required", "dependentRequired", "dependencies") and isinstance(instance, dict):
        missing: list[str] = []
        if kind == "required":
            missing = [p for p in value if p not in instance]
        else:
            for prop, deps in value.items():
                if prop in instance and isinstance(deps, list):
                    missing.extend(d for d in deps if d not in instance)
        if missing:
            for prop in missing:
                name = path[0] if path else prop
                sub = properties.get(prop) if not path else None
                custom = _custom_message(sub, "required") if isinstance(sub, dict) else None
                yield str(name), custom or REQUIRED_MSG
            return

    if kind in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        extras = _extra_properties(instance, error.schema)
        if extras:
            name = str(path[0]) if path else ""
            yield name, "包含未定义的字段：" + "、".join(extras)
            return

    name = str(path[0]) if path and isinstance(path[0], str) else ""
    custom = _custom_message(error.schema, kind)
    message = custom or _message_for(error, kind, value, name, properties)
    # prefix item position for free-text arrays ("第 2 项：…")
    if len(path) >= 2 and isinstance(path[1], int) and not custom:
        prop = properties.get(name)
        items = prop.get("items") if isinstance(prop, dict) else None
        if not (isinstance(items, dict) and enum_values(items) is not None):
            message = f"第 {path[1] + 1} 项：{message}"
    yield name, message


def _custom_message(subschema: Any, kind: str) -> str | None:
    if not isinstance(subschema, Mapping):
        return None
    custom = subschema.get("errorMessage")
    if isinstance(custom, str) and custom:
        return custom
    if isinstance(custom, Mapping):
        text = custom.get(kind)
        if isinstance(text, str) and text:
            return text
    return None


def _extra_properties(instance: Mapping[str, Any], subschema: Any) -> list[str]:
    if not isinstance(subschema, Mapping):
        return []
    known = subschema.get("properties") or {}
    patterns = list((subschema.get("patternProperties") or {}).keys())
    extras = []
    for key in instance:
        if key in known:
            continue
        if any(re.search(p, key) for p in patterns):
            continue
        extras.append(str(key))
    return extras


# bounds a form states in its schema, in the words the message uses ({} is the bound)
BOUND_MSGS: dict[str, str] = {
    "minLength": "至少 {} 个字",
    "maxLength": "最多 {} 个字",
    "minimum": "不能小于 {}",
    "maximum": "不能大于 {}",
    "exclusiveMinimum": "必须大于 {}",
    "exclusiveMaximum": "必须小于 {}",
    "multipleOf": "必须是 {} 的倍数",
    "maxItems": "最多填写 {} 项",
}


def _message_for(
    error: ValidationError,
    kind: str,
    value: Any,
    name: str,
    properties: Mapping[str, Any],
) -> str:
    if kind == "required":
        return REQUIRED_MSG
    if kind == "enum":
        return ENUM_MSG
    if kind == "const":
        if value is True:
            return CHECK_MSG
        if value is False:
            return "请勿勾选此项"
        return f"取值必须为 {to_str(value)}"
    if kind == "type":
        types = value if isinstance(value, list) else [value]
        wanted = "或".join(TYPE_NAMES.get(str(t), str(t)) for t in types if t != "null")
        return f"格式不正确，应为{wanted or '空值'}"
    if kind in BOUND_MSGS:
        return BOUND_MSGS[kind].format(_num(value))
    if kind == "pattern":
        return "格式不符合要求"
    if kind == "format":
        dated = value in ("date", "date-time")
        return (dated and _range_problem(error.instance)) or FORMAT_MSGS.get(
            str(value), "格式不符合要求"
        )
    if kind == "minItems":
        return "此项为必填项" if value == 1 else f"至少填写 {value} 项"
    if kind == "uniqueItems":
        return "存在重复的项"
    if (
        kind in ("oneOf", "anyOf")
        and isinstance(value, list)
        and value
        and all(isinstance(alt, dict) and "const" in alt for alt in value)
    ):
        return ENUM_MSG
    if name:
        prop = properties.get(name)
        label = prop.get("title") if isinstance(prop, dict) and prop.get("title") else name
        return f"“{label}”的填写内容不符合要求"
    return "表单填写内容不符合要求"


def _num(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
