"""Deadline clocks (期限): what starts a deadline, its rule, and what happened to it since.

A clock is fixed when its timer starts waiting: the start event, taken from the system's own
record (a task reaching its unit, a task submitted, a court message's arrival) or from a
recorded outside event (a court's service date, a paper service with its 送达回证), the rule
(N个工作日, N日, …) and N. What is done to it later — 送达 (a recorded service moves the start),
中止, 恢复, 延长 — is appended to it, and the due date is always the replay of the whole record
over the current calendar. So a corrected holiday calendar recomputes a waiting deadline
exactly, and the explanation says where every date came from.

Pure domain code: no database, no engine. Clocks travel as plain JSON dicts (in the workflow
state and in process data) and are read back with ``from_dict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from app.workdays import (
    RULE_BEFORE,
    RULE_CALENDAR_DAYS,
    RULE_DAY_END,
    RULE_WORKING_DAYS,
    SHANGHAI,
    Deadline,
    WorkCalendar,
    end_of_day,
    to_local_date,
)

RULE_FIXED = "fixed"  # a due time the expression gave without a calendar rule (or from before)
RULES = (RULE_WORKING_DAYS, RULE_CALENDAR_DAYS, RULE_DAY_END, RULE_BEFORE)

SYSTEM = "system"  # the product's own record: a task created or submitted, a message arrived
COURT = "court"  # a fact the court sent (its service date, a performance period)
ENTERED = "entered"  # an outside event a person recorded, with evidence
DATA = "data"  # a date from the process data (diagrams of other tools, old versions)
SOURCE_LABELS = {SYSTEM: "系统记录", COURT: "法院消息", ENTERED: "录入", DATA: "流程数据"}

# how a period reads in a document or on a page, by rule
UNIT_WORDS = {RULE_WORKING_DAYS: "个工作日", RULE_CALENDAR_DAYS: "日"}


@dataclass(frozen=True)
class StartEvent:
    """The event a deadline counts from (起算事件) and where its date came from."""

    on: date
    what: str = ""  # 任务送达本单位 / 收到败诉裁判文书 / “…”提交
    source: str = DATA
    at: datetime | None = None  # the server's time of a system event
    by: str = ""  # who recorded an entered event: "区调处中心 王敏"
    evidence: str = ""  # what proves an entered event: "送达回证"
    files: tuple[dict[str, Any], ...] = ()  # the evidence's attachments ({id, name, …})
    receipt: bool = False  # a receipt (收到/送达): a recorded paper service may move it
    not_before: date | None = None  # the earliest date a recorded service may name
    kind: str = ""  # received / submitted / event: how a document words the start

    def describe(self) -> str:
        """``起算：2026-09-30 任务送达本单位（系统记录 10:00）``."""
        what = f" {self.what}" if self.what else ""
        if self.source == ENTERED:
            why = "，".join(
                p for p in (self.evidence, f"{self.by} 录入" if self.by else "录入") if p
            )
        elif self.source == SYSTEM and self.at is not None:
            why = f"{SOURCE_LABELS[SYSTEM]} {self.at.astimezone(SHANGHAI):%H:%M}"
        else:
            why = SOURCE_LABELS.get(self.source, self.source)
        return f"起算：{self.on.isoformat()}{what}（{why}）"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"on": self.on.isoformat(), "what": self.what, "source": self.source}
        if self.at is not None:
            out["at"] = self.at.isoformat()
        if self.by:
            out["by"] = self.by
        if self.evidence:
            out["evidence"] = self.evidence
        if self.files:
            out["files"] = [dict(f) for f in self.files]
        if self.receipt:
            out["receipt"] = True
        if self.not_before is not None:
            out["not_before"] = self.not_before.isoformat()
        if self.kind:
            out["kind"] = self.kind
        return out

    @classmethod
    def from_value(cls, value: Any) -> StartEvent:
        """An event dict (as ``to_dict`` writes it), or a bare date, datetime or ISO string
        (a date field of the process data: diagrams from other tools, older versions)."""
        if isinstance(value, StartEvent):
            return value
        if isinstance(value, Mapping):
            at = value.get("at")
            before = value.get("not_before")
            return cls(
                on=to_local_date(value["on"]),
                what=str(value.get("what") or ""),
                source=str(value.get("source") or DATA),
                at=datetime.fromisoformat(at) if isinstance(at, str) and at else None,
                by=str(value.get("by") or ""),
                evidence=str(value.get("evidence") or ""),
                files=tuple(value.get("files") or ()),
                receipt=bool(value.get("receipt")),
                not_before=to_local_date(before) if before else None,
                kind=str(value.get("kind") or ""),
            )
        if value is None or value == "":
            raise ValueError("期限的起算事件尚未发生（起算日期为空）")
        return cls(on=to_local_date(value))


def system_event(at: datetime, what: str, kind: str, receipt: bool = False) -> StartEvent:
    """An event the product itself recorded, at the server's time (Asia/Shanghai date)."""
    local = at.astimezone(SHANGHAI)
    return StartEvent(
        on=local.date(),
        what=what,
        source=SYSTEM,
        at=local,
        receipt=receipt,
        not_before=local.date() if receipt else None,
        kind=kind,
    )


@dataclass(frozen=True)
class Computed:
    """A clock replayed over a calendar."""

    due_at: datetime | None  # None while suspended (中止)
    provisional: bool
    explanation: str
    start: StartEvent | None
    suspended: dict[str, Any] | None = None  # {since, reason, remaining} while 中止
    last_due: datetime | None = None  # the due time before a suspension parked it


@dataclass
class Clock:
    """A deadline's rule and start, plus everything done to it since (``changes``)."""

    rule: str
    n: int
    start: StartEvent | None
    changes: list[dict[str, Any]] = field(default_factory=list)
    fixed_due: datetime | None = None  # RULE_FIXED: the due time as first computed
    fixed_explanation: str = ""
    fixed_provisional: bool = False

    # -- what a document or a page says about the period ----------------------------------
    @property
    def effective_start(self) -> StartEvent | None:
        served = [c for c in self.changes if c.get("kind") == "serve"]
        return StartEvent.from_value(served[-1]["event"]) if served else self.start

    def period_words(self) -> str:
        """``3个工作日`` / ``5日``; empty for rules a document does not state as a period."""
        unit = UNIT_WORDS.get(self.rule)
        return f"{self.n}{unit}" if unit else ""

    # -- replay ------------------------------------------------------------------------------
    def replay(self, calendar: WorkCalendar) -> Computed:
        start = self.effective_start
        if self.rule == RULE_FIXED:
            due = self.fixed_due
            parts = [self.fixed_explanation] if self.fixed_explanation else []
            provisional = self.fixed_provisional
        else:
            assert start is not None
            base = _base(calendar, self.rule, start.on, self.n)
            due, provisional = base.due_at, base.provisional
            parts = [start.describe(), base.explain()]
        suspended: dict[str, Any] | None = None
        last_due = due
        for change in self.changes:
            kind = change.get("kind")
            if kind == "extend":
                if due is None:
                    continue
                days = int(change["days"])
                later = calendar.add_working_days(to_local_date(due), days)
                due, provisional = later.due_at, provisional or later.provisional
                parts.append(
                    f"延长 {days} 个工作日（{change.get('reason', '')}）：{later.explain()}"
                )
            elif kind == "suspend":
                since = date.fromisoformat(change["on"])
                if due is not None:
                    remaining = calendar.working_days_between(since, to_local_date(due))
                else:  # a suspension recorded before clocks existed: its count was kept
                    remaining = int(change.get("remaining", 0))
                suspended = {"since": since.isoformat(), "reason": change.get("reason", ""),
                             "remaining": remaining}  # fmt: skip
                parts.append(suspension_text(suspended))
                last_due, due = due, None
            elif kind == "resume" and suspended is not None:
                on = date.fromisoformat(change["on"])
                remaining = int(suspended["remaining"])
                if remaining > 0:
                    resumed = calendar.add_working_days(on, remaining)
                    due, why = resumed.due_at, resumed.explain()
                    provisional = provisional or resumed.provisional
                else:  # nothing was left: due at the end of the resumption day
                    due, why = end_of_day(on), "恢复当日到期"
                parts.append(f"{on.isoformat()} 恢复：{why}")
                suspended = None
        return Computed(due, provisional, "；".join(parts), start, suspended, last_due)

    # -- storage -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "n": self.n, "changes": list(self.changes)}
        if self.start is not None:
            out["start"] = self.start.to_dict()
        if self.rule == RULE_FIXED:
            out["fixed_due"] = self.fixed_due.isoformat() if self.fixed_due else None
            out["fixed_explanation"] = self.fixed_explanation
            out["fixed_provisional"] = self.fixed_provisional
        return out

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Clock:
        fixed = value.get("fixed_due")
        start = value.get("start")
        return cls(
            rule=str(value["rule"]),
            n=int(value.get("n", 0)),
            start=StartEvent.from_value(start) if start else None,
            changes=list(value.get("changes") or []),
            fixed_due=datetime.fromisoformat(fixed) if fixed else None,
            fixed_explanation=str(value.get("fixed_explanation") or ""),
            fixed_provisional=bool(value.get("fixed_provisional")),
        )

    def with_change(self, change: dict[str, Any]) -> Clock:
        return replace(self, changes=[*self.changes, change])


def _base(calendar: WorkCalendar, rule: str, start: date, n: int) -> Deadline:
    if rule == RULE_WORKING_DAYS:
        return calendar.add_working_days(start, n)
    if rule == RULE_CALENDAR_DAYS:
        return calendar.add_calendar_days(start, n)
    if rule == RULE_DAY_END:
        return calendar.day_end(start)
    if rule == RULE_BEFORE:
        return calendar.working_days_before(start, n)
    raise ValueError(f"未知的期限规则：{rule}")


def suspension_text(suspended: Mapping[str, Any]) -> str:
    return (
        f"期限自 {suspended.get('since', '')} 起中止（{suspended.get('reason', '')}），"
        f"恢复后剩余 {suspended.get('remaining', '')} 个工作日"
    )


def legacy_clock(
    due: datetime | None, explanation: str, provisional: bool, suspended: Mapping[str, Any] | None
) -> Clock:
    """A clock for a timer that waited before clocks were recorded: its due time and text as
    they were, and a suspension with the working days it kept."""
    clock = Clock(RULE_FIXED, 0, None, [], None if suspended else due, explanation, provisional)
    if suspended:
        clock.changes.append({
            "kind": "suspend", "on": suspended.get("since", ""),
            "reason": suspended.get("reason", ""), "remaining": suspended.get("remaining", 0),
        })  # fmt: skip
    return clock
