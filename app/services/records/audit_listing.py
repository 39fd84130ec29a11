"""The audit log as the 审计日志 page and the API read it: newest first, a page at a time.

Pages are keyset-paged by id within a filter on indexed columns (action, actor, instance, case:
each indexed with the id; the day range through the ``at`` index), so a page costs what it
shows at any size of the log. A day range becomes an id range first: ids follow the commit
order and an event's ``at`` is when its transaction recorded it, at most ``COMMIT_SLACK`` before
its commit, so the last event ``COMMIT_SLACK`` before the range starts and the first one as long
after it ends bound every event in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app import clock, inputs
from app.errors import InvalidInput
from app.models import AuditEvent

PAGE_SIZE = 50
COMMIT_SLACK = timedelta(minutes=15)
MAX_ID = 2**63 - 1
_FIELDS = {
    "action": "操作", "actor": "操作人", "instance_id": "流程实例", "case_id": "案件",
    "from": "开始日期", "to": "结束日期",
}  # fmt: skip


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    instance_id: int | None = None
    case_id: int | None = None
    day_from: date | None = None
    day_to: date | None = None

    @classmethod
    def parse(cls, args: Any) -> AuditFilter:
        """From query arguments; every problem at once, each under its field."""
        errors: dict[str, list[str]] = {}

        def text(name: str) -> str:
            value = (args.get(name) or "").strip()
            if len(value) > 64:
                errors[name] = ["不超过 64 个字符"]
            return value

        def record_id(name: str) -> int | None:
            raw = (args.get(name) or "").strip()
            if not raw:
                return None
            if raw.isdigit() and 0 < int(raw) <= MAX_ID:
                return int(raw)
            errors[name] = ["应为记录编号"]
            return None

        def day(name: str) -> date | None:
            raw = (args.get(name) or "").strip()
            if not raw:
                return None
            try:
                return inputs.parse_day(raw)
            except inputs.DateInputError as exc:
                errors[name] = [str(exc)]
                return None

        found = cls(
            action=text("action"), actor=text("actor"), instance_id=record_id("instance_id"),
            case_id=record_id("case_id"), day_from=day("from"), day_to=day("to"),
        )  # fmt: skip
        if found.day_from and found.day_to and found.day_from > found.day_to:
            errors.setdefault("to", []).append("结束日期不能早于开始日期")
        if errors:
            named = "；".join(f"{_FIELDS[k]}：{'，'.join(v)}" for k, v in errors.items())
            raise InvalidInput(f"筛选条件有误：{named}", errors)
        return found

    def args(self) -> dict[str, str]:
        """The filter as query arguments (for the next page's link)."""
        values = {
            "action": self.action, "actor": self.actor,
            "instance_id": str(self.instance_id or ""), "case_id": str(self.case_id or ""),
            "from": self.day_from.isoformat() if self.day_from else "",
            "to": self.day_to.isoformat() if self.day_to else "",
        }  # fmt: skip
        return {k: v for k, v in values.items() if v}


@dataclass
class AuditPage:
    events: list[AuditEvent]
    next_before: int | None  # keyset cursor: ?before= for the next (older) page


def _midnight(day: date) -> datetime:
    return clock.to_utc(datetime.combine(day, datetime.min.time(), clock.SHANGHAI))


def _bounded_by_days(session: Session, stmt: Select[Any], flt: AuditFilter) -> Select[Any]:
    if flt.day_from is not None:
        start = _midnight(flt.day_from)
        below = session.scalar(
            select(AuditEvent.id)
            .where(AuditEvent.at < start - COMMIT_SLACK)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(1)
        )
        stmt = stmt.where(AuditEvent.at >= start)
        if below is not None:
            stmt = stmt.where(AuditEvent.id > below)
    if flt.day_to is not None:
        end = _midnight(flt.day_to + timedelta(days=1))
        above = session.scalar(
            select(AuditEvent.id)
            .where(AuditEvent.at >= end + COMMIT_SLACK)
            .order_by(AuditEvent.at, AuditEvent.id)
            .limit(1)
        )
        stmt = stmt.where(AuditEvent.at < end)
        if above is not None:
            stmt = stmt.where(AuditEvent.id < above)
    return stmt


def page(session: Session, flt: AuditFilter, before: int | None = None) -> AuditPage:
    """One page of events matching ``flt``, newest first, older than ``before``."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)
    if before is not None:
        stmt = stmt.where(AuditEvent.id < before)
    if flt.action:
        stmt = stmt.where(AuditEvent.action == flt.action)
    if flt.actor:
        stmt = stmt.where(AuditEvent.actor == flt.actor)
    if flt.instance_id is not None:
        stmt = stmt.where(AuditEvent.instance_id == flt.instance_id)
    if flt.case_id is not None:
        stmt = stmt.where(AuditEvent.case_id == flt.case_id)
    stmt = _bounded_by_days(session, stmt, flt)
    events = list(session.scalars(stmt))
    more = len(events) > PAGE_SIZE
    events = events[:PAGE_SIZE]
    return AuditPage(events, events[-1].id if more and events else None)
