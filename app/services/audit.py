"""Append-only audit events, hash-chained, written in the caller's transaction.

An event is chained when its transaction commits, not when it is recorded: the chain's tail is
read and extended at the last moment, so on PostgreSQL the lock that keeps one chain writer at a
time (an advisory lock, held to the commit) is the last lock a transaction takes and is held for
milliseconds; writers of different instances run in parallel until then and never deadlock on it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from app import clock
from app.driver_sql import DriverStatement
from app.models import AuditEvent
from app.services.actor import Actor

GENESIS = "0" * 64
CHAIN_LOCK = 7201  # pg_advisory_xact_lock key of the chain's tail
PENDING = "audit_pending"  # session.info key: events recorded, not yet chained
_COLUMNS = ("at", "actor", "action", "instance_id", "case_id", "detail", "prev_hash", "hash")
_LAST_HASH = DriverStatement(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
_INSERT = insert(AuditEvent.__table__)
_INSERT_ONE = DriverStatement(_INSERT)


def _digest(prev_hash: str, event: AuditEvent) -> str:
    body = json.dumps(
        {
            "at": clock.to_utc(event.at).isoformat(),
            "actor": event.actor,
            "action": event.action,
            "instance_id": event.instance_id,
            "case_id": event.case_id,
            "detail": event.detail,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def record(
    session: Session,
    actor: Actor | str,
    action: str,
    *,
    instance_id: int | None = None,
    case_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Record an event in this transaction; it is chained and inserted when it commits."""
    event = AuditEvent(
        at=clock.now(),
        actor=actor if isinstance(actor, str) else actor.username,
        action=action,
        instance_id=instance_id,
        case_id=case_id,
        detail=json.loads(json.dumps(detail, ensure_ascii=False, default=str)),
    )
    session.info.setdefault(PENDING, []).append(event)
    return event


def pending(session: Session) -> list[AuditEvent]:
    """Events recorded in this transaction that its commit has yet to insert."""
    return list(session.info.get(PENDING, []))


@orm_event.listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    pending: list[AuditEvent] = session.info.pop(PENDING, [])
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({CHAIN_LOCK})"))
    tail = _LAST_HASH.first(session.connection())
    prev = tail[0] if tail else GENESIS
    rows = []
    for event in pending:
        event.prev_hash = prev
        event.hash = prev = _digest(prev, event)
        rows.append({column: getattr(event, column) for column in _COLUMNS})
    # a Core insert: events are never updated, so the unit of work has nothing to track (one
    # row, the usual case, on the driver; several by SQLAlchemy's executemany)
    if len(rows) == 1:
        _INSERT_ONE.run(session.connection(), rows[0])
    else:
        session.connection().execute(_INSERT, rows)


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """``session.begin_nested()`` whose rollback also drops the events recorded inside it."""
    pending = session.info.setdefault(PENDING, [])
    mark = len(pending)
    try:
        with session.begin_nested():
            yield
    except BaseException:
        del pending[mark:]
        raise


@orm_event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous: Any) -> None:
    if previous.parent is None:  # the whole transaction (a savepoint trims its own, above)
        session.info.pop(PENDING, None)


@dataclass
class ChainReport:
    ok: bool
    events: int
    first_broken_id: int | None = None
    reason: str = ""


def verify(session: Session) -> ChainReport:
    prev = GENESIS
    count = 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        count += 1
        if event.prev_hash != prev:
            return ChainReport(False, count, event.id, "前一事件哈希不匹配（事件被删除或插入）")
        if _digest(prev, event) != event.hash:
            return ChainReport(False, count, event.id, "事件内容与哈希不符（事件被修改）")
        prev = event.hash
    return ChainReport(True, count)


def recent(session: Session, limit: int = 200) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))


def by_action(session: Session, action: str, limit: int = 500) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
