"""Twenty years from a few dozen stories: the template rows copied with consistent ids and dates.

A *copy* is one template story placed at another moment: every id its rows carry (their own,
and references to rows of the same story, also inside JSON: ``task_id``, ``document:12``,
``delivered_to`` …) moves by the copy's offset for that table; every time and date moves by a
whole number of weeks (so a weekday stays a weekday); its case number becomes a new one of the
copy's year. Finished copies are spread over twenty years before the present in time order (ids
grow with time); running ones keep their dates (their timers and deadlines stay where the
stories left them, ahead of the present or just past it).

Documents are kept in as many copies as the volume asks for; the 阅档 events of a kept document
are repeated to reach the volume's audit events. The audit chain is written afterwards in id
order (``sinks.Chain``).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, LargeBinary, String, Text

from app.models import Base
from app.models.base import UTCDateTime
from scale.stories import STORY_TABLES
from scale.templates import Template

YEARS = 20
# the order rows are written in (each table's references before it)
WRITE_ORDER = (
    "cases", "process_instances", "tasks", "documents", "attachments", "timers", "reminders",
    "ladder_steps", "notifications", "court_messages",
)  # fmt: skip
READ_ACTION = "document.read"
_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)-([01]\d)-([0-3]\d)(?!\d)")
_ID_KEYS = {
    "task_id": "tasks", "task_record_id": "tasks", "document_id": "documents",
    "attachment_id": "attachments", "instance_id": "process_instances", "case_id": "cases",
}  # fmt: skip
_ID_FIELD = re.compile(r'"(' + "|".join(_ID_KEYS) + r')":(\d+)')
_ID_LIST = re.compile(r'"(delivered_to|started)":\[([\d,]*)\]')
_STATE_KEY = re.compile(r'"(task|instance|case|document):(\d+)"')
_STATE_TABLES = {"task": "tasks", "instance": "process_instances", "case": "cases",
                 "document": "documents"}  # fmt: skip
_DATE_STRINGS = {("cases", "received_on"), ("cases", "outcome_on")}


@dataclass(frozen=True)
class Volume:
    """What the twenty years hold (``factor`` 1 is the issue's district)."""

    instances: int
    running_share: float
    documents: int
    audit_events: int

    @classmethod
    def district(cls, factor: float) -> Volume:
        return cls(
            instances=max(50, round(100_000 * factor)),
            running_share=0.05,
            documents=round(20_000 * factor),
            audit_events=round(5_000_000 * factor),
        )


@dataclass
class Copy:
    template: Template
    weeks: int  # dates move this many weeks back
    offsets: dict[str, int]  # table -> added to the template's ids
    case_no: str  # the copy's case number ("" when the story has none)
    keep_documents: bool
    year: int  # the year its case number and document numbers carry
    read_repeats: int = 0  # extra times each document.read event occurs
    storage_tag: str = ""

    @property
    def days(self) -> int:
        return -7 * self.weeks


@dataclass
class Plan:
    copies: list[Copy]
    base_ids: dict[str, int]  # table -> the largest id before the first story
    counts: dict[str, int] = field(default_factory=dict)  # table -> rows the copies write


@dataclass
class Context:
    """What the template database holds, read once: each story's rows, and the base rows."""

    columns: dict[str, list[str]]
    rows: dict[int, dict[str, list[tuple[Any, ...]]]]  # id(template) -> table -> rows


def _case_number(template: Template, year: int, serial: int) -> str:
    if not template.story.case_no:
        return ""
    if template.story.case_no.startswith("洪政复决"):
        return f"洪政复决〔{year}〕{serial}号"
    return f"（{year}）苏0829行初{serial}号"


def plan(
    templates: list[Template], base_ids: dict[str, int], volume: Volume, present: datetime,
    seed: int, reads: Callable[[Template], int],
) -> Plan:  # fmt: skip
    rng = random.Random(seed)
    finished = [t for t in templates if not t.running]
    running = [t for t in templates if t.running]
    weights_f = [t.kind.weight for t in finished]
    weights_r = [t.kind.weight for t in running]
    chosen: list[tuple[Template, int]] = []
    target_running = round(volume.instances * volume.running_share)
    count = 0
    while count < volume.instances - target_running:
        template = rng.choices(finished, weights_f)[0]
        weeks = rng.randint(1, YEARS * 52 - 1)
        chosen.append((template, weeks))
        count += template.count("process_instances")
    chosen.sort(key=lambda item: -item[1])  # the oldest first: ids grow with time
    while count < volume.instances:
        template = rng.choices(running, weights_r)[0]
        chosen.append((template, 0))
        count += template.count("process_instances")
    documents = sum(t.count("documents") for t, _ in chosen)
    keep_share = min(1.0, volume.documents / documents) if documents else 0.0
    next_ids = dict(base_ids)
    serials: dict[int, int] = {}
    copies = []
    for template, weeks in chosen:
        year = (present - timedelta(weeks=weeks)).year
        serials[year] = serials.get(year, 0) + 1
        keep = template.count("documents") > 0 and rng.random() < keep_share
        offsets = {}
        for table in STORY_TABLES:
            offsets[table] = next_ids[table] - template.story.first[table]
            size = template.count(table)
            if table == "documents" and not keep:
                size = 0
            next_ids[table] += size
        copies.append(
            Copy(
                template,
                weeks,
                offsets,
                _case_number(template, year, serials[year]),
                keep,
                year,
                storage_tag=f"{len(copies)}",
            )
        )
    _spread_reads(copies, volume, reads)
    return Plan(copies, dict(base_ids))


def _spread_reads(copies: list[Copy], volume: Volume, reads: Callable[[Template], int]) -> None:
    """Repeat the kept documents' read events until the chain holds the volume's events."""
    events = sum(c.template.count("audit_events") for c in copies)
    readable = [c for c in copies if c.keep_documents and reads(c.template)]
    available = sum(reads(c.template) for c in readable)
    extra = volume.audit_events - events
    if extra <= 0 or not available:
        return
    per_read = extra / available
    carried = 0.0
    for copy in readable:
        carried += per_read
        copy.read_repeats = int(carried)
        carried -= copy.read_repeats


# -- the row transforms ---------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def _shift_date(text: str, days: int) -> str:
    return (date.fromisoformat(text) + timedelta(days=days)).isoformat()


def _shift_dates(text: str, days: int) -> str:
    return _DATE.sub(lambda m: _shift_date(m.group(0), days), text)


Transform = Callable[[Any, Copy], Any]


def _moved_id(table: str) -> Transform:
    def move(value: Any, copy: Copy) -> Any:
        return value + copy.offsets[table]

    return move


def _reference(table: str) -> Transform:
    def move(value: Any, copy: Copy) -> Any:
        if value is None or value <= copy.template.story.first[table]:
            return value  # a row from before the story (a unit, a user, a definition)
        return value + copy.offsets[table]

    return move


def _json_ids(text: str, copy: Copy) -> str:
    first = copy.template.story.first

    def one(table: str, value: int) -> int:
        return value + copy.offsets[table] if value > first[table] else value

    if '_id":' in text:
        text = _ID_FIELD.sub(
            lambda m: f'"{m.group(1)}":{one(_ID_KEYS[m.group(1)], int(m.group(2)))}', text
        )
    if '":[' in text:
        text = _ID_LIST.sub(
            lambda m: (
                f'"{m.group(1)}":['
                + ",".join(
                    str(one("process_instances", int(v))) for v in m.group(2).split(",") if v
                )
                + "]"
            ),
            text,
        )
    if ":" in text and text.startswith("{"):
        text = _STATE_KEY.sub(
            lambda m: f'"{m.group(1)}:{one(_STATE_TABLES[m.group(1)], int(m.group(2)))}"', text
        )
    return text


def _text(is_json: bool) -> Transform:
    def move(value: Any, copy: Copy) -> Any:
        if value is None:
            return None
        old = copy.template.story.case_no
        if old and old in value:
            value = value.replace(old, copy.case_no)
        if copy.weeks:
            if "〔2026〕" in value:
                value = value.replace("〔2026〕", f"〔{copy.year}〕")
            if "-" in value:
                value = _shift_dates(value, copy.days)
        if is_json:
            value = _json_ids(value, copy)
        return value

    return move


def _engine_state(value: Any, copy: Copy) -> Any:
    """A finished instance's engine state is read for its diagram only, and a running copy
    keeps its dates: the case number is all that changes (a third of the time otherwise)."""
    old = copy.template.story.case_no
    return value.replace(old, copy.case_no) if old and old in value else value


def _moment(value: Any, copy: Copy) -> Any:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment + timedelta(days=copy.days) if copy.weeks else moment


def _storage_name(value: Any, copy: Copy) -> Any:
    return hashlib.sha256(f"{value}:{copy.storage_tag}".encode()).hexdigest()[:32]


def transforms(table: str) -> list[Transform | None]:
    """For each column of ``table``: how a copy changes it (None: kept as is)."""
    out: list[Transform | None] = []
    for column in Base.metadata.tables[table].columns:
        refs = [fk.column.table.name for fk in column.foreign_keys]
        kind = column.type
        if column.primary_key:
            out.append(_moved_id(table))
        elif refs and refs[0] in STORY_TABLES:
            out.append(_reference(refs[0]))
        elif table == "audit_events" and column.name in ("instance_id", "case_id"):
            out.append(_reference("process_instances" if column.name == "instance_id" else "cases"))
        elif isinstance(kind, UTCDateTime):
            out.append(_moment)
        elif table == "attachments" and column.name == "storage_name":
            out.append(_storage_name)
        elif (table, column.name) == ("process_instances", "state"):
            out.append(_engine_state)
        elif (table, column.name) in _DATE_STRINGS:
            out.append(_text(False))
        elif column.name in ("sha256", "hash", "prev_hash", "spiff_task_id") or isinstance(
            kind, LargeBinary
        ):
            out.append(None)
        elif isinstance(kind, JSON):
            out.append(_text(True))
        elif isinstance(kind, (String, Text)):
            out.append(_text(False))
        else:
            out.append(None)
    return out


def copy_rows(
    rows: list[tuple[Any, ...]], functions: list[Transform | None], copy: Copy
) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        yield tuple(
            value if fn is None else fn(value, copy)
            for value, fn in zip(row, functions, strict=True)
        )
