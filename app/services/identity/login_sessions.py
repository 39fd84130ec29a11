"""Login sessions (登录会话) of the web pages, kept in the database.

The browser's signed cookie carries only a random token; the row it names says whether the
login is still alive. Logging out, deactivation, a password change or reset and a change of
role or unit end every session of the user by one UPDATE, so every server process and machine
sharing the database refuses the old cookie on its next request (nothing is kept in a
process's memory). A session also ends after ``idle_minutes`` without a request and
``max_hours`` after it began.

Each request reads its row (one indexed query, which replaces the user lookup it needs
anyway); the time of the last request is written at most once a minute, so the idle timeout
is exact to within that minute and a page costs no write.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, select, update
from sqlalchemy.orm import Session

from app import clock
from app.models import LoginSession, User
from app.services.records import audit

TOUCH_SECONDS = 60  # the last request's time is written at most this often

# why a session is no longer accepted (``Resumed.refused``)
ENDED, IDLE, EXPIRED, UNKNOWN = "ended", "idle", "expired", "unknown"


@dataclass(frozen=True)
class Limits:
    idle_minutes: int = 30
    max_hours: int = 12

    @property
    def touch_after(self) -> timedelta:
        return min(timedelta(seconds=TOUCH_SECONDS), timedelta(minutes=self.idle_minutes) / 10)


@dataclass(frozen=True)
class Resumed:
    """The outcome of a request's cookie: the user, or why there is none."""

    user: User | None
    refused: str = ""
    session_id: int | None = None
    touch: bool = False  # the caller should record this request's time (``touch``)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user: User, ip: str = "") -> str:
    """Begin a login session for ``user``; returns the token for the cookie (and sets it as
    the user's ``login_token``, which Flask-Login stores)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        LoginSession(
            user_id=user.id, token_hash=_hash(token), started_at=now, last_seen_at=now, ip=ip
        )
    )
    user.login_token = token
    return token


_BY_TOKEN = select(LoginSession).where(LoginSession.token_hash == bindparam("token_hash"))


def resume(session: Session, token: str, limits: Limits) -> Resumed:
    """The user of a request's session token, if that session is alive and the user active."""
    row = session.scalar(_BY_TOKEN, {"token_hash": _hash(token)})
    if row is None:
        return Resumed(None, UNKNOWN)
    if row.ended_at is not None or not row.user.active:
        return Resumed(None, ENDED)
    now = clock.now()
    if now - row.started_at >= timedelta(hours=limits.max_hours):
        return Resumed(None, EXPIRED)
    if now - row.last_seen_at >= timedelta(minutes=limits.idle_minutes):
        return Resumed(None, IDLE)
    user = row.user
    user.login_token = token
    return Resumed(user, session_id=row.id, touch=now - row.last_seen_at >= limits.touch_after)


def touch(session: Session, session_id: int) -> None:
    session.execute(
        update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.ended_at.is_(None))
        .values(last_seen_at=clock.now())
    )


def end_all(session: Session, user_id: int, reason: str) -> int:
    """End every live session of the user (in every process: they read it on each request)."""
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .values(ended_at=clock.now(), end_reason=reason)
    )
    return cast(CursorResult[Any], result).rowcount or 0


def log_out(session: Session, user: User) -> None:
    """退出: ends every session of the user, this browser's and any other."""
    ended = end_all(session, user.id, "logout")
    audit.record(session, user.username, "auth.logout", sessions_ended=ended)
