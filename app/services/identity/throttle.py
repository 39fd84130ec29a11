"""Per-IP login throttling (登录限流): many failed logins from one address block it a while.

The lock-out in ``org.authenticate`` protects one account; this protects all of them from one
address trying many (password spraying). State lives in the database, in the audit log that
records every failed login with its address anyway, so several app processes (server workers,
machines) see the same count: an in-memory limiter would give each worker its own allowance.

A block refuses wrong passwords from the address, not the right one: the owner of an account
behind the same address (an office's shared outgoing address) still logs in with their own
password. Guesses from a blocked address still count towards each account's lock-out, so they
stay bounded per account; they are not audited one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import ServiceError
from app.models import AuditEvent
from app.services.records import audit

FAILED = "login.failed"
BLOCKED = "login.ip_blocked"


@dataclass(frozen=True)
class Limits:
    max_failures: int = 20  # failed logins from one address within the window …
    minutes: int = 15  # … block it for this long (the window has the same length)


class LoginThrottled(ServiceError):
    status = 429

    def __init__(self, minutes: int) -> None:
        super().__init__(f"该地址登录失败次数过多，请 {minutes} 分钟后再试")
        self.minutes = minutes


def _of_ip(ip: str) -> ColumnElement[bool]:
    return AuditEvent.detail["ip"].as_string() == ip


def _last_block(session: Session, ip: str) -> datetime | None:
    # the newest by id, through the (action, id) index: ``max(at)`` let SQLite walk the whole
    # log backwards by time (five million events, tens of seconds, while a login held the writer)
    return session.scalar(
        select(AuditEvent.at)
        .where(AuditEvent.action == BLOCKED, _of_ip(ip))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )


def block_of(session: Session, ip: str, limits: Limits) -> LoginThrottled | None:
    """The refusal (429) a failed login from ``ip`` gets while the address is blocked."""
    last = _last_block(session, ip)
    if last is not None and clock.to_utc(last) + timedelta(minutes=limits.minutes) > clock.now():
        return LoginThrottled(limits.minutes)
    return None


def note_failure(session: Session, ip: str, limits: Limits) -> None:
    """After a failed login from ``ip`` (already audited): block it when it reaches the limit."""
    now = clock.now()
    since = now - timedelta(minutes=limits.minutes)
    last = _last_block(session, ip)
    if last is not None:
        since = max(since, clock.to_utc(last))  # failures before the last block are spent
    failures = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == FAILED, AuditEvent.at > since, _of_ip(ip))
    )
    failures = (failures or 0) + sum(  # this transaction's own, inserted when it commits
        1 for e in audit.pending(session) if e.action == FAILED and e.detail.get("ip") == ip
    )
    if failures >= limits.max_failures:
        until = now + timedelta(minutes=limits.minutes)
        audit.record(session, "system", BLOCKED, ip=ip, failures=failures, until=until)
