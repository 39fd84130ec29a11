"""Append-only audit events, hash-chained, written in the caller's transaction."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from app import clock
from app.models import AuditEvent
from app.services.actor import Actor

GENESIS = "0" * 64
_COLUMNS = ("at", "actor", "action", "instance_id", "case_id", "detail", "prev_hash", "hash")
_LAST_HASH = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
_INSERT = insert(AuditEvent)


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
    # Core statements on the session's connection: no unit-of-work bookkeeping for a row that
    # is never updated, and no flush of the caller's pending updates (only of new rows, which
    # the event may reference).
    if session.new:
        session.flush()
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(7201)"))  # one chain writer at a time
    prev = conn.scalar(_LAST_HASH)
    event = AuditEvent(
        at=clock.now(),
        actor=actor if isinstance(actor, str) else actor.username,
        action=action,
        instance_id=instance_id,
        case_id=case_id,
        detail=json.loads(json.dumps(detail, ensure_ascii=False, default=str)),
        prev_hash=prev or GENESIS,
    )
    event.hash = _digest(event.prev_hash, event)
    inserted = conn.execute(_INSERT, {c: getattr(event, c) for c in _COLUMNS})
    event.id = inserted.inserted_primary_key[0]
    return event


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
