"""A statistics period (days, Shanghai time, both ends included), its quarters, and how it
reads the day and month rows of ``stat_counts``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app import clock, inputs
from app.errors import InvalidInput


@dataclass
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def parse(cls, raw_from: str | None, raw_to: str | None) -> Period:
        today = clock.local_now().date()
        errors: dict[str, list[str]] = {}
        days = {"from": date(today.year, 1, 1), "to": today}
        for name, raw in (("from", raw_from), ("to", raw_to)):
            try:
                days[name] = inputs.parse_day(raw) if raw else days[name]
            except inputs.DateInputError as exc:
                errors[name] = [str(exc)]
        if errors:
            raise InvalidInput("统计期间有误", errors)
        start, end = days["from"], days["to"]
        if end < start:
            raise InvalidInput("结束日期不能早于开始日期", {"to": ["结束日期不能早于开始日期"]})
        return cls(start, end)

    def label(self) -> str:
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[first moment, moment after the last day) in UTC."""
        first = datetime.combine(self.start, time(), clock.SHANGHAI)
        after = datetime.combine(self.end + timedelta(days=1), time(), clock.SHANGHAI)
        return first.astimezone(UTC), after.astimezone(UTC)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def spans(period: Period) -> tuple[list[tuple[str, str]], tuple[str, str] | None]:
    """(day ranges, month range) that cover the period exactly: the whole months inside it as
    months, the days of the months it only touches as days."""
    first_whole = period.start if period.start.day == 1 else _next_month(period.start)
    after_whole = date(period.end.year, period.end.month, 1)
    if _next_month(period.end) - timedelta(days=1) == period.end:
        after_whole = _next_month(period.end)
    if first_whole >= after_whole:
        return [(period.start.isoformat(), period.end.isoformat())], None
    days = []
    if period.start < first_whole:
        days.append((period.start.isoformat(), (first_whole - timedelta(days=1)).isoformat()))
    if after_whole <= period.end:
        days.append((after_whole.isoformat(), period.end.isoformat()))
    last_whole = after_whole - timedelta(days=1)
    return days, (first_whole.isoformat()[:7], last_whole.isoformat()[:7])


def quarters(period: Period) -> list[Period]:
    found = []
    year, quarter = period.start.year, (period.start.month - 1) // 3
    while True:
        start = date(year, quarter * 3 + 1, 1)
        if start > period.end:
            break
        next_start = date(year + (quarter == 3), ((quarter + 1) % 4) * 3 + 1, 1)
        found.append(
            Period(max(start, period.start), min(next_start - timedelta(days=1), period.end))
        )
        year, quarter = (year + 1, 0) if quarter == 3 else (year, quarter + 1)
    return found


def quarter_label(p: Period) -> str:
    return f"{p.start.year}年第{(p.start.month - 1) // 3 + 1}季度"
