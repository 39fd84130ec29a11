"""The working-day calendar as the product sees it: statutory data plus stored overrides."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import InvalidInput
from app.holiday_file import CalendarFormatError, CalendarSchedule, parse_calendar_file
from app.models import CalendarDay, CalendarYear
from app.services.actor import Actor
from app.services.records import audit
from app.workdays import DateOutOfRange, DayOverride, Deadline, WorkCalendar

_cache_lock = threading.Lock()
_cache: tuple[tuple[object, ...], WorkCalendar] | None = None
_current: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar(
    "huajie_calendar", default=None
)


# what changes when the overrides do; one Core statement (it runs in every engine step)
_STAMP = select(
    select(func.count()).select_from(CalendarDay).scalar_subquery(),
    select(func.max(CalendarDay.updated_at)).scalar_subquery(),
    select(func.count()).select_from(CalendarYear).scalar_subquery(),
    select(func.max(CalendarYear.imported_at)).scalar_subquery(),
)


def load(session: Session) -> WorkCalendar:
    """The calendar with the stored overrides, rebuilt only when they change."""
    global _cache
    key = tuple(session.connection().execute(_STAMP).one())
    with _cache_lock:
        if _cache is not None and _cache[0] == key:
            return _cache[1]
    calendar = WorkCalendar(*stored_overrides(session))
    with _cache_lock:
        _cache = (key, calendar)
    return calendar


class _Scope:
    """A transaction's calendar, read from the database when first asked for (many steps
    compute no date: they need not pay for the query)."""

    def __init__(self, session: Session) -> None:
        self._session: Session | None = session
        self._calendar: WorkCalendar | None = None

    def calendar(self) -> WorkCalendar:
        if self._calendar is None:
            assert self._session is not None, "calendar scope used after it ended"
            self._calendar = load(self._session)
        return self._calendar


@contextmanager
def in_scope(session: Session) -> Iterator[_Scope]:
    """Make this transaction's calendar the one diagram expressions compute with."""
    scope = _Scope(session)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
        scope._session = None


@contextmanager
def with_calendar(session: Session, calendar: WorkCalendar) -> Iterator[_Scope]:
    """Compute with ``calendar`` instead of the stored one (a preview of an import)."""
    with in_scope(session) as scope:
        scope._calendar = calendar
        yield scope


def stored_overrides(session: Session) -> tuple[dict[date, DayOverride], set[int]]:
    """The stored days and the years imported (what ``load`` builds its calendar from)."""
    overrides = {
        row.day: DayOverride(row.is_workday, row.note)
        for row in session.scalars(select(CalendarDay))
    }
    return overrides, set(session.scalars(select(CalendarYear.year)))


def current() -> WorkCalendar:
    scope = _current.get()
    if scope is None:
        raise RuntimeError("no calendar in scope: wrap the engine call in calendar.in_scope()")
    return scope.calendar()


MAX_PERIOD_DAYS = 3650  # the longest period the API and the CLI compute (ten years of days)


def deadline(
    session: Session | None, start: date, working_days: int | None, calendar_days: int | None
) -> Deadline:
    """A deadline for the API and the CLI. Without a session (no database yet): statutory
    holiday data only."""
    if (working_days is None) == (calendar_days is None):
        raise InvalidInput("请给出 working_days 或 calendar_days 之一")
    name = "working_days" if working_days is not None else "calendar_days"
    n = working_days if working_days is not None else calendar_days
    assert n is not None
    if isinstance(n, bool) or not 1 <= n <= MAX_PERIOD_DAYS:
        raise InvalidInput(
            f"{name} 须为 1 至 {MAX_PERIOD_DAYS} 的整数", {name: [f"须为 1 至 {MAX_PERIOD_DAYS}"]}
        )
    calendar = load(session) if session is not None else WorkCalendar()
    try:
        if working_days is not None:
            return calendar.add_working_days(start, working_days)
        return calendar.add_calendar_days(start, n)
    except DateOutOfRange as exc:
        raise InvalidInput(str(exc), {"from": [str(exc)]}) from exc


def parse(text: str) -> CalendarSchedule:
    """The schedule in an import file; ``InvalidInput`` naming the line of the first problem."""
    try:
        schedule = parse_calendar_file(text)
    except CalendarFormatError as exc:
        raise InvalidInput(str(exc), {"file": [str(exc)]}) from exc
    if not schedule.years:
        raise InvalidInput("文件中没有任何日期或年度声明", {"file": ["没有日期或年度声明"]})
    return schedule


def as_if_imported(session: Session, schedule: CalendarSchedule) -> WorkCalendar:
    """The calendar as it would be once ``schedule`` is imported (``import_schedule``'s rule:
    a declared year is replaced whole), without storing anything."""
    overrides, years = stored_overrides(session)
    kept = {d: o for d, o in overrides.items() if d.year not in schedule.declared}
    return WorkCalendar(kept | schedule.overrides, years | schedule.years)


def import_schedule(session: Session, actor: Actor, text: str, source: str) -> tuple[int, set[int]]:
    """Store a year's schedule; returns (days stored, years covered). A year the file declares
    (``year,YYYY``) is replaced whole: days stored for it before and not in the file are
    dropped. The caller recomputes the waiting deadlines (``timers.recompute_after_import``)."""
    schedule = parse(text)
    now = clock.now()
    for year in schedule.declared:
        session.execute(
            delete(CalendarDay).where(
                CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
            )
        )
    session.flush()
    for day, override in schedule.overrides.items():
        row = session.get(CalendarDay, day)
        if row is None:
            session.add(
                CalendarDay(
                    day=day, is_workday=override.is_workday, note=override.note, updated_at=now
                )
            )
        else:
            row.is_workday, row.note, row.updated_at = override.is_workday, override.note, now
    for year in schedule.years:
        row_year = session.get(CalendarYear, year)
        if row_year is None:
            session.add(CalendarYear(year=year, source=source, imported_at=now))
        else:
            row_year.source, row_year.imported_at = source, now
    session.flush()
    audit.record(
        session, actor, "calendar.import", source=source, days=len(schedule.overrides),
        years=sorted(schedule.years), replaced=sorted(schedule.declared),
    )  # fmt: skip
    return len(schedule.overrides), schedule.years
