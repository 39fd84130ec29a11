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


def spans(period: Period, years: bool = True) -> list[tuple[str, str, str]]:
    """(grain, first, last) ranges of ``stat_counts`` rows that cover the period exactly: the
    whole years inside it (unless ``years`` is false), then the whole months, then the days of
    the months it only touches."""
    start, end = period.start, period.end
    first_month = start if start.day == 1 else _next_month(start)
    after_months = _next_month(end) if _next_month(end) - timedelta(days=1) == end else None
    after_months = after_months or date(end.year, end.month, 1)
    if first_month >= after_months:
        return [("d", start.isoformat(), end.isoformat())]
    found = []
    if start < first_month:
        found.append(("d", start.isoformat(), _day_before(first_month)))
    if after_months <= end:
        found.append(("d", after_months.isoformat(), end.isoformat()))
    first_year = first_month.year + (first_month.month != 1)
    if not years or first_year >= after_months.year:
        return [*found, ("m", first_month.isoformat()[:7], _day_before(after_months)[:7])]
    found.append(("y", str(first_year), str(after_months.year - 1)))
    if first_month.year < first_year:
        found.append(("m", first_month.isoformat()[:7], f"{first_month.year}-12"))
    if after_months.month != 1:
        found.append(("m", f"{after_months.year}-01", _day_before(after_months)[:7]))
    return found


def _day_before(day: date) -> str:
    return (day - timedelta(days=1)).isoformat()


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
