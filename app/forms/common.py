"""What the form modules share: widget names, messages, type names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

WIDGETS: tuple[str, ...] = (
    "text",
    "textarea",
    "date",
    "datetime",
    "select",
    "radio",
    "checkbox",
    "checkboxes",
    "number",
    "integer",
    "lines",
)

TRUTHY = frozenset({"on", "true", "1"})

REQUIRED_MSG = "此项为必填项"
ENUM_MSG = "请从选项中选择"
CHECK_MSG = "请勾选确认"
DATE_MSG = "请输入有效日期（YYYY-MM-DD）"
DATETIME_MSG = "请输入有效的日期时间（YYYY-MM-DD HH:MM）"

TYPE_NAMES: dict[str, str] = {
    "integer": "整数",
    "number": "数字",
    "string": "文本",
    "boolean": "是/否",
    "array": "列表",
    "object": "对象",
    "null": "空值",
}

FORMAT_MSGS: dict[str, str] = {
    "date": DATE_MSG,
    "date-time": DATETIME_MSG,
    "time": "请输入有效时间（HH:MM）",
    "email": "请输入有效的电子邮箱地址",
    "idn-email": "请输入有效的电子邮箱地址",
    "uri": "请输入有效的网址",
    "uuid": "请输入有效的 UUID",
    "ipv4": "请输入有效的 IPv4 地址",
    "ipv6": "请输入有效的 IPv6 地址",
}

# ui:widget names accepted in UI schemas (rjsf names and our own), normalised.
WIDGET_ALIASES: dict[str, str] = {
    "date-time": "datetime",
    "alt-date": "date",
    "alt-datetime": "datetime",
    "updown": "number",
    "range": "number",
}

# base widget -> widgets a UI schema may switch it to
COMPATIBLE_WIDGETS: dict[str, frozenset[str]] = {
    "text": frozenset({"text", "textarea"}),
    "textarea": frozenset({"text", "textarea"}),
    "date": frozenset({"date", "text"}),
    "datetime": frozenset({"datetime", "text"}),
    "select": frozenset({"select", "radio"}),
    "radio": frozenset({"select", "radio"}),
    "checkbox": frozenset({"checkbox"}),
    "checkboxes": frozenset({"checkboxes"}),
    "lines": frozenset({"lines", "textarea"}),
    "integer": frozenset({"integer", "number"}),
    "number": frozenset({"number", "integer"}),
}


def properties_of(schema: Mapping[str, Any]) -> dict[str, Any]:
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    return props if isinstance(props, dict) else {}


def primary_type(prop: Mapping[str, Any]) -> str | None:
    typ = prop.get("type")
    if isinstance(typ, list):
        non_null = [t for t in typ if t != "null"]
        return non_null[0] if non_null else None
    if isinstance(typ, str):
        return typ
    # untyped: infer from const/enum values
    if "const" in prop:
        return json_type(prop["const"])
    enum = prop.get("enum")
    if isinstance(enum, list) and enum:
        return json_type(enum[0])
    return None


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if value is None:
        return "null"
    return "string"


def enum_values(prop: Mapping[str, Any]) -> list[Any] | None:
    """Allowed values of an enum-like property (``enum`` or oneOf/anyOf of consts)."""
    enum = prop.get("enum")
    if isinstance(enum, list):
        return list(enum)
    for key in ("oneOf", "anyOf"):
        alts = prop.get(key)
        if (
            isinstance(alts, list)
            and alts
            and all(isinstance(a, dict) and "const" in a for a in alts)
        ):
            return [a["const"] for a in alts]
    return None


def to_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
