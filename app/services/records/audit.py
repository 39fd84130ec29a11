"""Append-only audit events, chained, written in the caller's transaction.

An event is chained when its transaction commits, not when it is recorded: the chain's tail is
read and extended at the last moment, so on PostgreSQL the lock that keeps one chain writer at a
time (an advisory lock, held to the commit) is the last lock a transaction takes and is held for
milliseconds; writers of different instances run in parallel until then and never deadlock on it.

Each event's hash is an HMAC-SHA256, keyed by the key file outside the database
(``app.anchor``), over the previous hash and the event as stored (its JSON text exactly, so a
verification need not parse it); events written before the key existed keep their sha256
(``legacy_digest``). After the commit the new head goes to the anchor, whose thread signs it
into the checkpoint log. The transaction's last event also carries digests of the rows it
changed (``covers``, ``app.services.records.audit_state``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Dialect,
    Integer,
    SmallInteger,
    String,
    TypeDecorator,
    column,
    insert,
    select,
    table,
    text,
)
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Session

from app import clock, jsontext
from app.anchor import ANCHOR_INFO, HEAD_INFO, AnchorError
from app.driver_sql import DriverStatement
from app.models import AuditEvent
from app.models.audit import LEGACY_CHAIN, SIGNED_CHAIN
from app.models.base import UTCDateTime
from app.services.actor import Actor
from app.services.records import audit_state

GENESIS = "0" * 64
CHAIN_LOCK = 7201  # pg_advisory_xact_lock key of the chain's tail
PENDING = "audit_pending"  # session.info key: events recorded, not yet chained
COVERED = "audit_covered"  # session.info key: rows whose state the commit's event vouches for
_EVENT_DOMAIN = b"huajie-audit-event\n"
_TAIL = DriverStatement(
    select(AuditEvent.seq, AuditEvent.hash, AuditEvent.chain)
    .order_by(AuditEvent.seq.desc())
    .limit(1)
)


class _JSONText(TypeDecorator[str]):
    """A JSON column written from its text as is: the text the event's hash covers."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


# detail and state are written as the JSON text the hash was computed over
_STORED = table(
    "audit_events",
    column("seq", Integer), column("chain", SmallInteger), column("at", UTCDateTime()),
    column("actor", String), column("action", String), column("instance_id", Integer),
    column("case_id", Integer), column("detail", _JSONText()), column("state", _JSONText()),
    column("prev_hash", String), column("hash", String),
)  # fmt: skip
_INSERT = insert(_STORED)
_INSERT_ONE = DriverStatement(_INSERT)


def legacy_digest(
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    instance_id: int | None,
    case_id: int | None,
    detail: Any,
) -> str:
    """The sha256 chain of events written before the key (``chain`` 1)."""
    body = json.dumps(
        {
            "at": clock.to_utc(at).isoformat(),
            "actor": actor,
            "action": action,
            "instance_id": instance_id,
            "case_id": case_id,
            "detail": detail,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def signed_digest(
    key: bytes,
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    instance_id: int | None,
    case_id: int | None,
    detail_text: str,
    state_text: str | None,
) -> str:
    """The HMAC of an event (``chain`` 2) over its stored form."""
    header = orjson.dumps([seq, clock.to_utc(at).isoformat(), actor, action, instance_id, case_id])
    message = b"\n".join(
        (prev_hash.encode(), header, detail_text.encode(), (state_text or "").encode())
    )
    return hmac.digest(key, _EVENT_DOMAIN + message, "sha256").hex()


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


def covers(session: Session, row: object) -> None:
    """This transaction changes ``row``'s audited state (task, instance, case, document): its
    audit event will carry the digest of the row as committed."""
    session.info.setdefault(COVERED, {})[id(row)] = row


def pending(session: Session) -> list[AuditEvent]:
    """Events recorded in this transaction that its commit has yet to insert."""
    return list(session.info.get(PENDING, []))


@orm_event.listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    pending: list[AuditEvent] = session.info.pop(PENDING, [])
    covered: dict[int, object] | None = session.info.pop(COVERED, None)
    if covered and not pending:  # a state change no service described: still on the record
        pending = [record(session, "system", "state.write")]
        session.info.pop(PENDING, None)
    if not pending:
        return
    if covered:
        pending[-1].state = audit_state.digests(covered.values()) or None
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({CHAIN_LOCK})"))
    connection = session.connection()
    tail = _TAIL.first(connection)
    count, prev, tail_signed = (
        (tail[0], tail[1], tail[2] == SIGNED_CHAIN) if tail else (0, GENESIS, False)
    )
    anchor = session.info.get(ANCHOR_INFO)
    if anchor is not None:
        key: bytes | None = anchor.signing_key(count, prev, tail_signed)
    elif tail_signed:
        raise AnchorError("审计链已用密钥签名，此进程却没有配置审计密钥")
    else:
        key = None
    rows = []
    for event in pending:
        count += 1
        event.seq, event.prev_hash = count, prev
        detail_text = jsontext.dumps(event.detail)
        state_text = jsontext.dumps(event.state) if event.state else None
        if key is None:
            event.chain = LEGACY_CHAIN
            event.hash = legacy_digest(
                prev, event.at, event.actor, event.action, event.instance_id, event.case_id,
                event.detail,
            )  # fmt: skip
        else:
            event.chain = SIGNED_CHAIN
            event.hash = signed_digest(
                key, prev, count, event.at, event.actor, event.action, event.instance_id,
                event.case_id, detail_text, state_text,
            )  # fmt: skip
        prev = event.hash
        rows.append(
            {
                "seq": count, "chain": event.chain, "at": event.at, "actor": event.actor,
                "action": event.action, "instance_id": event.instance_id,
                "case_id": event.case_id, "detail": detail_text, "state": state_text,
                "prev_hash": event.prev_hash, "hash": event.hash,
            }
        )  # fmt: skip
    # a Core insert: events are never updated, so the unit of work has nothing to track (one
    # row, the usual case, on the driver; several by SQLAlchemy's executemany)
    if len(rows) == 1:
        _INSERT_ONE.run(connection, rows[0])
    else:
        connection.execute(_INSERT, rows)
    session.info[HEAD_INFO] = (count, prev)


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
        session.info.pop(COVERED, None)


def verify(session: Session) -> Any:
    """The whole chain against the anchor of the session's database (``audit_verify``)."""
    from app.services.records import audit_verify

    return audit_verify.verify(session, session.info.get(ANCHOR_INFO), full=True)


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
