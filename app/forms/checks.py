"""Deploy-time checks of a form definition (schema and UI schema)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema.exceptions import SchemaError
from jsonschema.validators import Draft202012Validator, validator_for

from app.forms.common import enum_values, json_type, primary_type, properties_of, to_str
from app.forms.fields import resolve_widget
from app.forms.validation import FORMAT_CHECKER

_SUPPORTED_TYPES = frozenset({"string", "integer", "number", "boolean", "array"})
_FIELD_UI_KEYS = frozenset(
    {
        "ui:widget",
        "ui:placeholder",
        "ui:help",
        "ui:title",
        "ui:description",
        "ui:enumNames",
        "ui:options",
        "ui:autofocus",
    }
)


def schema_problems(schema: dict[str, Any], uischema: dict[str, Any] | None = None) -> list[str]:
    """Return human-readable (Chinese) problems of a form schema; empty when it is usable."""
    problems: list[str] = []
    if not isinstance(schema, dict):
        return ["表单定义必须是 JSON 对象"]
    if schema.get("type") != "object":
        problems.append('表单定义的顶层必须是 "type": "object"')
    try:
        validator_for(schema, default=Draft202012Validator).check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "（顶层）"
        problems.append(f"不是有效的 JSON Schema（{where}）：{exc.message}")
    raw_props = schema.get("properties")
    if not isinstance(raw_props, dict) or not raw_props:
        problems.append("表单没有定义任何字段（properties）")
    properties = properties_of(schema)

    required = schema.get("required", [])
    if isinstance(required, list):
        for name in required:
            if name not in properties:
                problems.append(f"required 中的字段未定义：{name}")
    else:
        problems.append("required 必须是字段名列表")

    for name, prop in properties.items():
        problems.extend(f"字段 {name}：{p}" for p in _property_problems(prop))

    if uischema is not None:
        problems.extend(_uischema_problems(uischema, properties))
    return problems


def _property_problems(prop: Any) -> list[str]:
    if not isinstance(prop, dict):
        return ["定义必须是 JSON 对象"]
    problems: list[str] = []
    typ = prop.get("type")
    if typ is None:
        problems.append("缺少 type")
    primary = primary_type(prop)
    if typ is not None and primary not in _SUPPORTED_TYPES:
        problems.append(f"不支持的类型：{typ}")
    problems.extend(_enum_problems(prop, primary))
    if primary == "array":
        items = prop.get("items")
        if items is None or prop.get("format") == "attachments":
            pass  # free lines of text, or uploaded files ({id, name, size, sha256} objects)
        elif not isinstance(items, dict):
            problems.append("items 必须是单个 schema（不支持元组形式）")
        else:
            item_type = primary_type(items)
            if enum_values(items) is None and item_type not in (None, "string"):
                problems.append("无选项的数组只支持文本项（items.type 应为 string）")
            if item_type not in (None, "string", "integer", "number"):
                problems.append(f"数组项不支持的类型：{items.get('type')}")
            problems.extend(f"items：{p}" for p in _enum_problems(items, item_type))
    x_default = prop.get("x-default")
    if x_default is not None:
        if x_default != "today":
            problems.append(f'不支持的 x-default：{x_default!r}（仅支持 "today"）')
        elif prop.get("format") != "date":
            problems.append('x-default "today" 只能用于 format 为 date 的字段')
    if "default" in prop and primary in _SUPPORTED_TYPES:
        default_errors = list(
            Draft202012Validator(prop, format_checker=FORMAT_CHECKER).iter_errors(prop["default"])
        )
        if default_errors:
            problems.append(f"默认值 {prop['default']!r} 不符合字段定义")
    return problems


def _enum_problems(prop: Mapping[str, Any], primary: str | None) -> list[str]:
    problems: list[str] = []
    enum = prop.get("enum")
    names = prop.get("enumNames")
    if names is not None:
        if not isinstance(names, list):
            problems.append("enumNames 必须是列表")
        elif not isinstance(enum, list):
            problems.append("有 enumNames 但没有 enum")
        elif len(names) != len(enum):
            problems.append(f"enumNames 数量（{len(names)}）与 enum 数量（{len(enum)}）不一致")
    if isinstance(enum, list):
        if not enum:
            problems.append("enum 不能为空")
        if primary in _SUPPORTED_TYPES:
            wrong = [v for v in enum if not _value_has_type(v, primary)]
            if wrong:
                problems.append(f"enum 中的值与类型 {primary} 不符：{wrong!r}")
        strings = [to_str(v) for v in enum]
        if len(set(strings)) != len(strings):
            problems.append("enum 中有重复的值")
    return problems


def _value_has_type(value: Any, typ: str | None) -> bool:
    actual = json_type(value)
    if typ == "number":
        return actual in ("integer", "number")
    if typ == "integer" and actual == "number":
        return float(value).is_integer()
    return actual == typ


def _uischema_problems(uischema: Any, properties: Mapping[str, Any]) -> list[str]:
    if not isinstance(uischema, dict):
        return ["UI schema 必须是 JSON 对象"]
    problems: list[str] = []
    order = uischema.get("ui:order")
    if order is not None:
        if not isinstance(order, list):
            problems.append("ui:order 必须是列表")
        else:
            seen: set[str] = set()
            for entry in order:
                if entry != "*" and entry not in properties:
                    problems.append(f"ui:order 引用了未定义的字段：{entry}")
                if isinstance(entry, str):
                    if entry in seen:
                        problems.append(f"ui:order 中字段重复：{entry}")
                    seen.add(entry)
    for key, field_ui in uischema.items():
        if key.startswith("ui:"):
            if key != "ui:order":
                problems.append(f"不支持的表单级 UI 设置：{key}")
            continue
        if key not in properties:
            problems.append(f"UI schema 引用了未定义的字段：{key}")
            continue
        if not isinstance(field_ui, dict):
            problems.append(f"字段 {key} 的 UI 设置必须是 JSON 对象")
            continue
        for ui_key in field_ui:
            if ui_key not in _FIELD_UI_KEYS:
                problems.append(f"字段 {key}：不支持的 UI 设置 {ui_key}")
        prop = properties[key]
        if "ui:widget" in field_ui and isinstance(prop, dict):
            widget, ok = resolve_widget(prop, field_ui["ui:widget"])
            if not ok:
                problems.append(
                    f"字段 {key}：ui:widget {field_ui['ui:widget']!r} 不适用于该字段"
                    f"（可用：{widget}）"
                )
        ui_names = field_ui.get("ui:enumNames")
        if ui_names is not None and isinstance(prop, dict):
            target = prop.get("items") if primary_type(prop) == "array" else prop
            values = enum_values(target) if isinstance(target, dict) else None
            if values is None or not isinstance(ui_names, list) or len(ui_names) != len(values):
                problems.append(f"字段 {key}：ui:enumNames 与选项数量不一致")
    return problems
