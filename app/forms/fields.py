"""Form fields to render: a JSON Schema (+ UI schema) as a list of FormField."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.forms.common import (
    COMPATIBLE_WIDGETS,
    TRUTHY,
    WIDGET_ALIASES,
    enum_values,
    primary_type,
    properties_of,
    to_str,
)


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
            return "\n".join(to_str(v) for v in value)
        if self.widget == "datetime":
            return _datetime_local(value)
        if self.widget == "date" and isinstance(value, date | datetime):
            return value.isoformat()[:10]
        return to_str(value)

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
            return option_value in {to_str(v) for v in value}
        if value is None:
            return False
        return to_str(value) == option_value

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
    properties = properties_of(schema)
    required = set(schema.get("required") or ())
    result: list[FormField] = []
    for name in _ordered_names(properties, ui.get("ui:order")):
        prop = properties[name]
        if not isinstance(prop, dict):
            continue
        field_ui = ui.get(name)
        if not isinstance(field_ui, dict):
            field_ui = {}
        widget, _ = resolve_widget(prop, field_ui.get("ui:widget"))
        result.append(
            FormField(
                name=name,
                label=_label(name, prop, field_ui),
                widget=widget,
                required=_required(name in required, prop),
                help=_help(prop, field_ui),
                placeholder=str(field_ui.get("ui:placeholder") or ""),
                options=_options(prop, field_ui),
                value=_initial_value(name, prop, data, today),
                schema=prop,
            )
        )
    return result


def _required(listed: bool, prop: Mapping[str, Any]) -> bool:
    """Whether the person must fill the field: a checkbox always sends a value, so one is
    required only when it must be ticked (``"const": true``)."""
    if prop.get("type") == "boolean":
        return listed and prop.get("const") is True
    return listed


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


def _base_widget(prop: Mapping[str, Any]) -> str:
    typ = primary_type(prop)
    if typ == "boolean":
        return "checkbox"
    if typ == "array":
        if prop.get("format") == "attachments":
            return "files"  # uploaded files; the page reads them from the multipart body
        items = prop.get("items")
        if isinstance(items, dict) and enum_values(items) is not None:
            return "checkboxes"
        return "lines"
    if enum_values(prop) is not None:
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


def resolve_widget(prop: Mapping[str, Any], requested: Any) -> tuple[str, bool]:
    """Return (widget, ok); ok is False when a requested ui:widget could not be honoured."""
    base = _base_widget(prop)
    if requested is None:
        return base, True
    if not isinstance(requested, str):
        return base, False
    wanted = WIDGET_ALIASES.get(requested, requested)
    if base in ("integer", "number") and wanted in ("integer", "number"):
        return base, True  # "updown" etc.: keep the schema's numeric type
    if base == "lines" and wanted == "textarea":
        return "lines", True
    if wanted in COMPATIBLE_WIDGETS.get(base, frozenset()):
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
    if primary_type(prop) == "array":
        items = prop.get("items")
        if not isinstance(items, dict):
            return []
        target = items
    values = enum_values(target)
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
    return [(to_str(v), to_str(lbl)) for v, lbl in zip(values, labels, strict=True)]


def _initial_value(name: str, prop: Mapping[str, Any], data: Mapping[str, Any], today: date) -> Any:
    value = data.get(name)
    if value is not None:
        return value
    if "default" in prop:
        return prop["default"]
    if prop.get("x-default") == "today" and prop.get("format") == "date":
        return today.isoformat()
    return None


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
        return to_str(value)
    # keep the wall-clock time as written; datetime-local has no offset
    fmt = "%Y-%m-%dT%H:%M:%S" if parsed.second else "%Y-%m-%dT%H:%M"
    return parsed.replace(tzinfo=None).strftime(fmt)
