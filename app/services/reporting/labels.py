"""Values as people read them: each with its form's label, enum names and date format.

A submission is stored under its form's field keys (``matter_type``, ``key_area``); a page shows
"事项类型：重大执法决定", "属于败诉重点领域：否". Attachments become links (``FileRef``). A key the
form does not know (process data a script wrote) is left out of what a person sees: the raw
record stays for administrators.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any

from app import clock
from app.forms import fields_for
from app.forms.common import to_str

EMPTY = "—"
PREVIEW_KINDS = {
    ".pdf": "pdf",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".docx": "docx",
    ".txt": "text",
}


@dataclass(frozen=True)
class FileRef:
    """An attachment a submission names; ``preview`` is how the page shows it inline."""

    id: int
    name: str
    size: int

    @property
    def preview(self) -> str | None:
        return PREVIEW_KINDS.get(PurePosixPath(self.name).suffix.lower())


@dataclass
class Labelled:
    """One field of a submission as a person reads it."""

    key: str  # for administrators' raw view and for choosing fields; never shown to others
    label: str
    text: str
    files: list[FileRef] = field(default_factory=list)
    long: bool = False  # a textarea: shown as a paragraph


def file_refs(value: Any) -> list[FileRef]:
    refs = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("id"), int) and item.get("id"):
            name, size = str(item.get("name") or "附件"), int(item.get("size") or 0)
            refs.append(FileRef(item["id"], name, size))
    return refs


def format_date(value: Any) -> str:
    if isinstance(value, datetime):
        return clock.to_local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return to_str(value)


def _format_datetime(value: Any) -> str:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return value
        if parsed.tzinfo is not None:
            parsed = clock.to_local(parsed)
        return parsed.strftime("%Y-%m-%d %H:%M")
    return format_date(value)


def plain(value: Any) -> str:
    """A value with no schema to explain it, as words rather than JSON."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "；".join(plain(v) for v in value)
    if isinstance(value, Mapping):
        return "；".join(plain(v) for v in value.values())
    return format_date(value)


def _text(widget: str, options: dict[str, str], value: Any) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if widget == "checkbox" or isinstance(value, bool):
        return "是" if value is True or to_str(value).lower() in {"true", "on", "1"} else "否"
    if isinstance(value, list | tuple):
        return "；".join(options.get(to_str(v), plain(v)) for v in value)
    if options:
        return options.get(to_str(value), to_str(value))
    if widget == "datetime":
        return _format_datetime(value)
    if isinstance(value, Mapping):
        return plain(value)
    return format_date(value)


def labelled(
    schema: Mapping[str, Any] | None,
    uischema: Mapping[str, Any] | None,
    data: Mapping[str, Any] | None,
    only: set[str] | None = None,
) -> list[Labelled]:
    """The submitted fields in the form's order, each with its label and readable value."""
    data = data or {}
    found = []
    today = clock.local_now().date()
    for f in fields_for(dict(schema or {}), dict(uischema or {}), data, today):
        if f.name not in data or (only is not None and f.name not in only):
            continue
        value = data[f.name]
        if f.widget == "files":
            files = file_refs(value)
            found.append(Labelled(f.name, f.label, "" if files else EMPTY, files))
            continue
        long = f.widget in {"textarea", "lines"}
        found.append(Labelled(f.name, f.label, _text(f.widget, dict(f.options), value), long=long))
    return found
