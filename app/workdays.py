"""Deadline arithmetic for Chinese administrative time limits (期限计算).

Two rules are supported, both counted in Asia/Shanghai local dates:

* ``add_working_days(start, n)`` — "N个工作日": the start day does not count; the
  next N working days are counted, skipping weekends and statutory holidays but
  counting make-up working days (调休上班日). The deadline is the end of the N-th
  working day (23:59:59.999999+08:00).
* ``add_calendar_days(start, n)`` — "N日": the start day does not count; the last
  day is ``start + n``. If that day is a statutory holiday or a rest day, the
  deadline is rolled over to the first working day after it (期满日为节假日的，
  以节假日后的第一日为期满日). A make-up working day is not rolled over.

Day data comes, in order of precedence, from administrator overrides, from the
``chinesecalendar`` package (years 2004–2026 in version 1.11), and otherwise from a
weekends-only fallback (Mon–Fri work, Sat/Sun rest). A year counts as having
official data when ``chinesecalendar`` knows it or when the administrator has
imported it; a date in any other year with no override makes every deadline that
examined it *provisional* (暂定).

Imported years come from a holiday schedule file (``app.holiday_file``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = [
    "SHANGHAI",
    "DateOutOfRange",
    "DayOverride",
    "Deadline",
    "WorkCalendar",
    "end_of_day",
    "to_local_date",
]

SHANGHAI: ZoneInfo = ZoneInfo("Asia/Shanghai")

RULE_WORKING_DAYS = "working_days"
RULE_CALENDAR_DAYS = "calendar_days"
RULE_DAY_END = "day_end"  # the end of a date another party fixed (a court's performance period)
RULE_BEFORE = "working_days_before"  # 09:00 on the N-th working day before a date (a reminder)
REMINDER_HOUR = 9

_HOLIDAY_NAMES: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
_WEEKDAYS = "一二三四五六日"
_LABEL_WORKDAY = "工作日"
_LABEL_WEEKEND = "周末"
_LABEL_MAKEUP = "调休上班日"
_LABEL_HOLIDAY = "法定节假日"
_LABEL_OVERRIDE_REST = "休息日（管理员设置）"
_HOLIDAY_LABEL_RE = re.compile(r"^法定节假日（(.+)）$")


@dataclass(frozen=True)
class DayOverride:
    """An administrator's ruling for one date; wins over chinesecalendar."""

    is_workday: bool
    note: str = ""


def end_of_day(d: date) -> datetime:
    """The end of a local day in Asia/Shanghai (a deadline's instant)."""
    return datetime.combine(d, time.max, tzinfo=SHANGHAI)


def _fmt_day(d: date, ref_year: int) -> str:
    return d.strftime("%m-%d") if d.year == ref_year else d.isoformat()


def _group_runs(days: Iterable[tuple[date, str]]) -> list[tuple[date, date, list[str]]]:
    """Group consecutive dates into (first, last, distinct reasons in order)."""
    runs: list[tuple[date, date, list[str]]] = []
    for d, reason in days:
        if runs and runs[-1][1] + timedelta(days=1) == d:
            first, _, reasons = runs[-1]
            if reason not in reasons:
                reasons.append(reason)
            runs[-1] = (first, d, reasons)
        else:
            runs.append((d, d, [reason]))
    return runs


def _describe_reasons(reasons: list[str]) -> str:
    """Merge "法定节假日（国庆节）" + "法定节假日（中秋节）" into "法定节假日（国庆节、中秋节）"."""
    names: list[str] = []
    plain_holiday = False
    others: list[str] = []
    for reason in reasons:
        m = _HOLIDAY_LABEL_RE.match(reason)
        if m:
            names.extend(n for n in m.group(1).split("、") if n not in names)
        elif reason == _LABEL_HOLIDAY:
            plain_holiday = True
        else:
            others.append(reason)
    parts: list[str] = []
    if names:
        parts.append(f"{_LABEL_HOLIDAY}（{'、'.join(names)}）")
    elif plain_holiday:
        parts.append(_LABEL_HOLIDAY)
    parts.extend(others)
    return "、".join(parts)


@dataclass(frozen=True)
class Deadline:
    """A computed deadline plus the facts needed to explain it."""

    start: date
    rule: str
    n: int
    due_date: date
    due_at: datetime
    provisional: bool
    skipped: tuple[tuple[date, str], ...]
    makeup_days: tuple[date, ...]

    def explain(self) -> str:
        """Chinese one-line explanation, e.g. for display next to a task's due date."""
        year = self.start.year
        due = f"{self.due_date.isoformat()}（周{_WEEKDAYS[self.due_date.weekday()]}）"
        if self.rule == RULE_WORKING_DAYS:
            head = f"{self.start.isoformat()} 起 {self.n} 个工作日，截止 {due}"
            skip_verb = "跳过"
        elif self.rule == RULE_DAY_END:
            head = f"{self.start.isoformat()} 当日届满"
            skip_verb = "跳过"
        elif self.rule == RULE_BEFORE:
            head = f"{self.start.isoformat()} 前 {self.n} 个工作日：{due} {REMINDER_HOUR}:00"
            skip_verb = "跳过"
        else:
            head = f"{self.start.isoformat()} 起 {self.n} 日（自然日），截止 {due}"
            skip_verb = "期满日逢休息日顺延，跳过"
        parts = [head]
        runs = _group_runs(self.skipped)
        if runs:
            described = []
            for first, last, reasons in runs:
                span = _fmt_day(first, year)
                if last != first:
                    span += "至" + _fmt_day(last, year)
                described.append(f"{span} {_describe_reasons(reasons)}")
            parts.append(f"{skip_verb} " + "，".join(described))
        if self.makeup_days:
            days = "、".join(_fmt_day(d, year) for d in self.makeup_days)
            suffix = "计入" if self.rule == RULE_WORKING_DAYS else "不顺延"
            parts.append(f"{days} {_LABEL_MAKEUP}{suffix}")
        text = "；".join(parts)
        if self.provisional:
            text += "（暂定：该年度尚无法定节假日数据）"
        return text


def to_local_date(value: date | datetime | str) -> date:
    """Asia/Shanghai local date of a date, datetime or ISO string.

    Aware datetimes are converted to Shanghai time first; naive datetimes are taken
    as Shanghai local time.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            value = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"无法识别的日期：{value!r}") from exc
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            value = value.astimezone(SHANGHAI)
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"需要日期、时间或 ISO 字符串，得到 {type(value).__name__}")


class DateOutOfRange(ValueError):
    """A deadline that would fall outside the dates the calendar can name (after 9999-12-31)."""


def _step(d: date, days: int) -> date:
    try:
        return d + timedelta(days=days)
    except OverflowError as exc:
        raise DateOutOfRange("期限超出可计算的日期范围（最晚至 9999-12-31）") from exc


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"期限天数必须是正整数（n must be an int >= 1），得到 {n!r}")
    return n


class WorkCalendar:
    """Working-day calendar: overrides > chinesecalendar > weekends-only fallback."""

    def __init__(
        self,
        overrides: Mapping[date, DayOverride] | None = None,
        imported_years: Iterable[int] = (),
    ) -> None:
        self._overrides: dict[date, DayOverride] = {
            to_local_date(d): o for d, o in (overrides or {}).items()
        }
        self._imported_years: frozenset[int] = frozenset(int(y) for y in imported_years)
        self._package_years: dict[int, bool] = {}
        self._cache: dict[date, tuple[bool, str, bool]] = {}

    def _package_has_year(self, year: int) -> bool:
        known = self._package_years.get(year)
        if known is None:
            try:
                chinese_calendar.is_workday(date(year, 1, 1))
                known = True
            except NotImplementedError:
                known = False
            self._package_years[year] = known
        return known

    def has_official_data(self, year: int) -> bool:
        return year in self._imported_years or self._package_has_year(year)

    def day_info(self, d: date) -> tuple[bool, str, bool]:
        """(is_workday, Chinese label, provisional) for one local date."""
        cached = self._cache.get(d)
        if cached is None:
            cached = self._compute_day_info(d)
            self._cache[d] = cached
        return cached

    def _compute_day_info(self, d: date) -> tuple[bool, str, bool]:
        weekend = d.weekday() >= 5
        override = self._overrides.get(d)
        if override is not None:
            if override.is_workday:
                label = override.note or (_LABEL_MAKEUP if weekend else _LABEL_WORKDAY)
            else:
                label = override.note or _LABEL_OVERRIDE_REST
            return override.is_workday, label, False
        if self._package_has_year(d.year):
            on_holiday, name = chinese_calendar.get_holiday_detail(d)
            if chinese_calendar.is_workday(d):
                return True, (_LABEL_MAKEUP if weekend else _LABEL_WORKDAY), False
            if on_holiday and name:
                zh = _HOLIDAY_NAMES.get(name, name)
                return False, f"{_LABEL_HOLIDAY}（{zh}）", False
            return False, (_LABEL_WEEKEND if weekend else _LABEL_HOLIDAY), False
        provisional = d.year not in self._imported_years
        if weekend:
            return False, _LABEL_WEEKEND, provisional
        return True, _LABEL_WORKDAY, provisional

    def is_workday(self, d: date) -> bool:
        return self.day_info(d)[0]

    def add_working_days(self, start: date | datetime | str, n: int) -> Deadline:
        """N个工作日: end of the N-th working day after the start day."""
        _check_n(n)
        first = to_local_date(start)
        d = first
        counted = 0
        provisional = False
        skipped: list[tuple[date, str]] = []
        makeup: list[date] = []
        while counted < n:
            d = _step(d, 1)
            workday, label, prov = self.day_info(d)
            provisional = provisional or prov
            if workday:
                counted += 1
                if d.weekday() >= 5:
                    makeup.append(d)
            else:
                skipped.append((d, label))
        return Deadline(
            start=first,
            rule=RULE_WORKING_DAYS,
            n=n,
            due_date=d,
            due_at=end_of_day(d),
            provisional=provisional,
            skipped=tuple(skipped),
            makeup_days=tuple(makeup),
        )

    def add_calendar_days(self, start: date | datetime | str, n: int) -> Deadline:
        """N日: start + n, rolled over to the next working day if that is a rest day."""
        _check_n(n)
        first = to_local_date(start)
        d = _step(first, n)
        provisional = False
        skipped: list[tuple[date, str]] = []
        while True:
            workday, label, prov = self.day_info(d)
            provisional = provisional or prov
            if workday:
                break
            skipped.append((d, label))
            d = _step(d, 1)
        makeup = (d,) if d.weekday() >= 5 else ()
        return Deadline(
            start=first,
            rule=RULE_CALENDAR_DAYS,
            n=n,
            due_date=d,
            due_at=end_of_day(d),
            provisional=provisional,
            skipped=tuple(skipped),
            makeup_days=makeup,
        )

    def day_end(self, day: date | datetime | str) -> Deadline:
        """The end of a date fixed by someone else (e.g. the court's 履行期限届满日): no
        rollover, the date already is the last day."""
        d = to_local_date(day)
        return Deadline(
            start=d,
            rule=RULE_DAY_END,
            n=0,
            due_date=d,
            due_at=end_of_day(d),
            provisional=self.day_info(d)[2],
            skipped=(),
            makeup_days=(),
        )

    def working_days_before(self, day: date | datetime | str, n: int) -> Deadline:
        """09:00 on the N-th working day before ``day`` (a reminder ahead of a period's end)."""
        _check_n(n)
        end = to_local_date(day)
        d = end
        counted = 0
        provisional = False
        skipped: list[tuple[date, str]] = []
        makeup: list[date] = []
        while counted < n:
            d = _step(d, -1)
            workday, label, prov = self.day_info(d)
            provisional = provisional or prov
            if workday:
                counted += 1
                if d.weekday() >= 5:
                    makeup.append(d)
            else:
                skipped.append((d, label))
        return Deadline(
            start=end,
            rule=RULE_BEFORE,
            n=n,
            due_date=d,
            due_at=datetime.combine(d, time(REMINDER_HOUR), tzinfo=SHANGHAI),
            provisional=provisional,
            skipped=tuple(reversed(skipped)),
            makeup_days=tuple(reversed(makeup)),
        )

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count

    def next_working_day_at(self, moment: datetime, hour: int = 9) -> datetime:
        """``moment`` if its Shanghai date is a working day, else the next working day
        at ``hour``:00 Shanghai time. Naive datetimes are taken as Shanghai local."""
        if not 0 <= hour <= 23:
            raise ValueError(f"小时必须在 0–23 之间，得到 {hour!r}")
        d = to_local_date(moment)
        if self.is_workday(d):
            return moment
        d = _step(d, 1)
        while not self.is_workday(d):
            d = _step(d, 1)
        return datetime.combine(d, time(hour), tzinfo=SHANGHAI)
