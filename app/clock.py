"""The one source of "now".

Nothing else in the product calls ``datetime.now``. In test mode (``HUAJIE_ENV=test``) the
environment variable ``HUAJIE_NOW`` (ISO 8601 with offset) fixes the time, so a test can stop the
app, move time and start it again; outside test mode ``HUAJIE_NOW`` is ignored.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class ClockConfigError(RuntimeError):
    pass


def _fixed_now() -> datetime | None:
    if os.environ.get("HUAJIE_ENV") != "test":
        return None
    raw = os.environ.get("HUAJIE_NOW")
    return _parse_fixed(raw) if raw else None


@lru_cache(maxsize=16)
def _parse_fixed(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ClockConfigError(f"HUAJIE_NOW is not ISO 8601: {raw!r}") from exc
    if moment.tzinfo is None:
        raise ClockConfigError(f"HUAJIE_NOW needs a UTC offset, e.g. +08:00: {raw!r}")
    return moment.astimezone(UTC)


def now() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return _fixed_now() or datetime.now(UTC)


def wall_now() -> datetime:
    """The machine's real time, for planning the scheduler's own wake-ups only."""
    return datetime.now(UTC)


def local_now() -> datetime:
    """The current moment in Asia/Shanghai."""
    return now().astimezone(SHANGHAI)


def to_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive value (as SQLite returns it) is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_local(moment: datetime) -> datetime:
    return to_utc(moment).astimezone(SHANGHAI)
