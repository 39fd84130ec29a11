"""Server-side JSON Schema forms for user tasks.

A user task declares its form as a JSON Schema (a flat ``object`` whose properties are
strings, numbers, integers, booleans or arrays of strings) plus an optional UI schema in
react-jsonschema-form style.  This module turns that into:

* :func:`fields_for` – a list of :class:`FormField` to render with the
  ``render_fields`` macro of ``templates/_jsonform.html``;
* :func:`parse_submission` – HTML form strings converted to JSON types;
* :func:`validate_submission` – jsonschema validation with Chinese messages per field;
* :func:`schema_problems` – deploy-time sanity check of a form definition.

Supported extensions: ``enumNames`` (labels for ``enum`` values, also ``ui:enumNames`` in
the UI schema), ``oneOf``/``anyOf`` lists of ``{"const": v, "title": label}`` as labelled
options, ``"x-default": "today"`` on date fields, and ajv-errors style ``errorMessage``
(a string, or a dict keyed by validator name) to override a property's messages.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from jsonschema import FormatChecker, ValidationError
from jsonschema.exceptions import SchemaError
from jsonschema.validators import Draft202012Validator, validator_for
from werkzeug.datastructures import MultiDict

__all__ = [
    "WIDGETS",
    "FormField",
    "fields_for",
    "parse_submission",
    "schema_problems",
    "validate_submission",
]

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

_TYPE_NAMES: dict[str, str] = {
    "integer": "整数",
    "number": "数字",
    "string": "文本",
    "boolean": "是/否",
    "array": "列表",
    "object": "对象",
    "null": "空值",
}

_FORMAT_MSGS: dict[str, str] = {
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
_WIDGET_ALIASES: dict[str, str] = {
    "date-time": "datetime",
    "alt-date": "date",
    "alt-datetime": "datetime",
    "updown": "number",
    "range": "number",
}

# base widget -> widgets a UI schema may switch it to
_COMPATIBLE: dict[str, frozenset[str]] = {
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


# --------------------------------------------------------------------------- fields


@dataclass
class FormField:
    """One top-level property of a form schema, ready for rendering."""

    name: str
    label: str
    widget: str
    required: bool
    help: str
    placeholder: str
    options: list[tuple[str, str]] = field(default_factory=list)
    value: Any = None
    schema: dict[str, Any] = field(default_factory=dict)

    @property
    def input_id(self) -> str:
        return f"f-{self.name}"

    @property
    def display(self) -> str:
        """The value as text for an ``<input value>`` / ``<textarea>``."""
        value = self.value
        if value is None or isinstance(value, bool):
            return ""
        if self.widget == "lines" and isinstance(value, list | tuple):
            return "\n".join(_to_str(v) for v in value)
        if self.widget == "datetime":
            return _datetime_local(value)
        if self.widget == "date" and isinstance(value, date | datetime):
            return value.isoformat()[:10]
        return _to_str(value)

    @property
    def checked(self) -> bool:
        """For the boolean ``checkbox`` widget."""
        value = self.value
        if isinstance(value, str):
            return value.strip().lower() in TRUTHY
        return value is True

    def selected(self, option_value: str) -> bool:
        """Whether an option of a select/radio/checkboxes widget is chosen."""
        value = self.value
        if isinstance(value, list | tuple | set):
            return option_value in {_to_str(v) for v in value}
        if value is None:
            return False
        return _to_str(value) == option_value

    @property
    def maxlength(self) -> int | None:
        value = self.schema.get("maxLength")
        return value if isinstance(value, int) and not isinstance(value, bool) else None


def fields_for(
    schema: dict[str, Any],
    uischema: dict[str, Any] | None,
    data: Mapping[str, Any] | None,
    today: date,
) -> list[FormField]:
    """Build one :class:`FormField` per top-level property, in ``ui:order`` order.

    The value comes from ``data`` when it holds a non-``None`` value for the field,
    otherwise from the property's ``default``; date fields with ``"x-default": "today"``
    get ``today`` (ISO string) when no value is given.
    """
    ui = uischema or {}
    data = data or {}
    properties = _properties(schema)
    required = set(schema.get("required") or ())
    result: list[FormField] = []
    for name in _ordered_names(properties, ui.get("ui:order")):
        prop = properties[name]
        if not isinstance(prop, dict):
            continue
        field_ui = ui.get(name)
        if not isinstance(field_ui, dict):
            field_ui = {}
        widget, _ = _resolve_widget(prop, field_ui.get("ui:widget"))
        result.append(
            FormField(
                name=name,
                label=_label(name, prop, field_ui),
                widget=widget,
                required=name in required,
                help=_help(prop, field_ui),
                placeholder=str(field_ui.get("ui:placeholder") or ""),
                options=_options(prop, field_ui),
                value=_initial_value(name, prop, data, today),
                schema=prop,
            )
        )
    return result


def _properties(schema: Mapping[str, Any]) -> dict[str, Any]:
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    return props if isinstance(props, dict) else {}


def _ordered_names(properties: Mapping[str, Any], order: Any) -> list[str]:
    names = list(properties)
    if not isinstance(order, list) or not order:
        return names
    explicit: list[str] = []
    star_at: int | None = None
    for entry in order:
        if entry == "*":
            if star_at is None:
                star_at = len(explicit)
        elif isinstance(entry, str) and entry in properties and entry not in explicit:
            explicit.append(entry)
    rest = [n for n in names if n not in explicit]
    if star_at is None:
        return explicit + rest
    return explicit[:star_at] + rest + explicit[star_at:]


def _primary_type(prop: Mapping[str, Any]) -> str | None:
    typ = prop.get("type")
    if isinstance(typ, list):
        non_null = [t for t in typ if t != "null"]
        return non_null[0] if non_null else None
    if isinstance(typ, str):
        return typ
    # untyped: infer from const/enum values
    if "const" in prop:
        return _json_type(prop["const"])
    enum = prop.get("enum")
    if isinstance(enum, list) and enum:
        return _json_type(enum[0])
    return None


def _json_type(value: Any) -> str:
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


def _enum_values(prop: Mapping[str, Any]) -> list[Any] | None:
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


def _base_widget(prop: Mapping[str, Any]) -> str:
    typ = _primary_type(prop)
    if typ == "boolean":
        return "checkbox"
    if typ == "array":
        if prop.get("format") == "attachments":
            return "files"  # uploaded files; the page reads them from the multipart body
        items = prop.get("items")
        if isinstance(items, dict) and _enum_values(items) is not None:
            return "checkboxes"
        return "lines"
    if _enum_values(prop) is not None:
        return "select"
    if typ == "integer":
        return "integer"
    if typ == "number":
        return "number"
    fmt = prop.get("format")
    if fmt == "date":
        return "date"
    if fmt == "date-time":
        return "datetime"
    return "text"


def _resolve_widget(prop: Mapping[str, Any], requested: Any) -> tuple[str, bool]:
    """Return (widget, ok); ok is False when a requested ui:widget could not be honoured."""
    base = _base_widget(prop)
    if requested is None:
        return base, True
    if not isinstance(requested, str):
        return base, False
    wanted = _WIDGET_ALIASES.get(requested, requested)
    if base in ("integer", "number") and wanted in ("integer", "number"):
        return base, True  # "updown" etc.: keep the schema's numeric type
    if base == "lines" and wanted == "textarea":
        return "lines", True
    if wanted in _COMPATIBLE.get(base, frozenset()):
        return wanted, True
    return base, False


def _label(name: str, prop: Mapping[str, Any], field_ui: Mapping[str, Any]) -> str:
    title = field_ui.get("ui:title") or prop.get("title")
    return str(title) if title else name


def _help(prop: Mapping[str, Any], field_ui: Mapping[str, Any]) -> str:
    description = field_ui.get("ui:description") or prop.get("description")
    parts = [str(p) for p in (description, field_ui.get("ui:help")) if p]
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    return " ".join(parts)


def _options(prop: Mapping[str, Any], field_ui: Mapping[str, Any]) -> list[tuple[str, str]]:
    target: Mapping[str, Any] = prop
    if _primary_type(prop) == "array":
        items = prop.get("items")
        if not isinstance(items, dict):
            return []
        target = items
    values = _enum_values(target)
    if values is None:
        return []
    labels: list[Any] | None = None
    names = target.get("enumNames")
    if isinstance(names, list) and len(names) == len(values):
        labels = names
    ui_names = field_ui.get("ui:enumNames")
    if labels is None and isinstance(ui_names, list) and len(ui_names) == len(values):
        labels = ui_names
    if labels is None and "enum" not in target:
        alts = target.get("oneOf") or target.get("anyOf") or []
        labels = [a.get("title", a["const"]) for a in alts]
    if labels is None:
        labels = values
    return [(_to_str(v), _to_str(lbl)) for v, lbl in zip(values, labels, strict=True)]


def _initial_value(name: str, prop: Mapping[str, Any], data: Mapping[str, Any], today: date) -> Any:
    value = data.get(name)
    if value is not None:
        return value
    if "default" in prop:
        return prop["default"]
    if prop.get("x-default") == "today" and prop.get("format") == "date":
        return today.isoformat()
    return None


def _to_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _datetime_local(value: Any) -> str:
    """Render a stored date-time as ``YYYY-MM-DDTHH:MM`` for ``<input type=datetime-local>``."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return value  # show what the user typed so they can fix it
    else:
        return _to_str(value)
    # keep the wall-clock time as written; datetime-local has no offset
    fmt = "%Y-%m-%dT%H:%M:%S" if parsed.second else "%Y-%m-%dT%H:%M"
    return parsed.replace(tzinfo=None).strftime(fmt)


# --------------------------------------------------------------------------- parsing


def parse_submission(schema: dict[str, Any], form: MultiDict[str, str]) -> dict[str, Any]:
    """Convert submitted HTML form strings into JSON values according to ``schema``.

    Only top-level schema properties are read (``csrf_token`` and other extra form keys
    are ignored).  Empty values are left out so that ``required`` reports them; numbers
    that do not parse are kept as the raw string so validation reports a type error.
    Booleans are ``True`` for "on"/"true"/"1" and ``False`` otherwise (including absent).
    """
    result: dict[str, Any] = {}
    for name, prop in _properties(schema).items():
        if not isinstance(prop, dict):
            continue
        typ = _primary_type(prop)
        if typ == "boolean":
            raw = form.get(name)
            result[name] = raw is not None and raw.strip().lower() in TRUTHY
            continue
        if typ == "array":
            if prop.get("format") == "attachments":
                continue  # files are not form fields: the page passes them on as uploads
            items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
            values = _array_values(form.getlist(name), _enum_values(items) is not None)
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
    enum = _enum_values(prop)
    if enum is not None:
        for candidate in enum:
            if _to_str(candidate) == text:
                return candidate
    typ = _primary_type(prop)
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
    cleaned = _number_text(text)
    try:
        return int(cleaned)
    except ValueError:
        pass
    try:
        number = float(cleaned)
    except ValueError:
        return text
    if math.isfinite(number) and number.is_integer():
        return int(number)
    return text


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


# --------------------------------------------------------------------------- validation

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
        date.fromisoformat(instance)
    except ValueError:
        return False
    return True


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
        datetime.fromisoformat(text[:10] + "T" + text[11:])
    except ValueError:
        return False
    return True


def _format_checker() -> FormatChecker:
    checker = FormatChecker()
    checker.checks("date")(_is_date)
    checker.checks("date-time")(_is_datetime)
    return checker


FORMAT_CHECKER = _format_checker()


def _validator(schema: Mapping[str, Any]) -> Any:
    cls = validator_for(schema, default=Draft202012Validator)
    return cls(schema, format_checker=FORMAT_CHECKER)


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

    properties = _properties(schema)
    for error in sorted(_validator(schema).iter_errors(data), key=_error_order(properties)):
        for name, message in _messages(error, schema, properties):
            add(name, message)
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
        if not (isinstance(items, dict) and _enum_values(items) is not None):
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
        return f"取值必须为 {_to_str(value)}"
    if kind == "type":
        types = value if isinstance(value, list) else [value]
        wanted = "或".join(_TYPE_NAMES.get(str(t), str(t)) for t in types if t != "null")
        return f"格式不正确，应为{wanted or '空值'}"
    if kind == "minLength":
        return f"至少 {value} 个字"
    if kind == "maxLength":
        return f"最多 {value} 个字"
    if kind == "minimum":
        return f"不能小于 {_num(value)}"
    if kind == "maximum":
        return f"不能大于 {_num(value)}"
    if kind == "exclusiveMinimum":
        return f"必须大于 {_num(value)}"
    if kind == "exclusiveMaximum":
        return f"必须小于 {_num(value)}"
    if kind == "multipleOf":
        return f"必须是 {_num(value)} 的倍数"
    if kind == "pattern":
        return "格式不符合要求"
    if kind == "format":
        return _FORMAT_MSGS.get(str(value), "格式不符合要求")
    if kind == "minItems":
        return "此项为必填项" if value == 1 else f"至少填写 {value} 项"
    if kind == "maxItems":
        return f"最多填写 {value} 项"
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


# --------------------------------------------------------------------------- deploy checks

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
    properties = _properties(schema)

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
    primary = _primary_type(prop)
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
            item_type = _primary_type(items)
            if _enum_values(items) is None and item_type not in (None, "string"):
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
        strings = [_to_str(v) for v in enum]
        if len(set(strings)) != len(strings):
            problems.append("enum 中有重复的值")
    return problems


def _value_has_type(value: Any, typ: str | None) -> bool:
    actual = _json_type(value)
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
            widget, ok = _resolve_widget(prop, field_ui["ui:widget"])
            if not ok:
                problems.append(
                    f"字段 {key}：ui:widget {field_ui['ui:widget']!r} 不适用于该字段"
                    f"（可用：{widget}）"
                )
        ui_names = field_ui.get("ui:enumNames")
        if ui_names is not None and isinstance(prop, dict):
            target = prop.get("items") if _primary_type(prop) == "array" else prop
            values = _enum_values(target) if isinstance(target, dict) else None
            if values is None or not isinstance(ui_names, list) or len(ui_names) != len(values):
                problems.append(f"字段 {key}：ui:enumNames 与选项数量不一致")
    return problems
