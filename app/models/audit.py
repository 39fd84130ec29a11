"""Append-only audit events, chained: each carries its predecessor's hash.

``chain`` says how ``hash`` was computed: 1, sha256 (events written before the audit key
existed); 2, HMAC-SHA256 with the key kept outside the database (``app.anchor``). ``seq`` is the
event's place in the chain (1, 2, 3 … without gaps). ``state`` holds digests of the rows the
event's transaction left behind (``app.services.records.audit_state``).

Each audit-chain verification is a row of ``audit_verifications``: who started it, when, which
events it read and what it found. The row is only as trustworthy as the database; the range it
says was verified is trusted when the signed checkpoint it names checks (``trusted``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime

LEGACY_CHAIN = 1
SIGNED_CHAIN = 2


class AuditEvent(Base):
    __tablename__ = "audit_events"
    # the audit page pages by id (newest first) within one filter: (filter, id) keeps a page's
    # cost to the page on PostgreSQL too, whose single-column indexes are not in id order
    __table_args__ = (
        Index("ix_audit_events_action_id", "action", "id"),
        Index("ix_audit_events_actor_id", "actor", "id"),
        Index("ix_audit_events_instance_id_id", "instance_id", "id"),
        Index("ix_audit_events_case_id_id", "case_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    chain: Mapped[int] = mapped_column(SmallInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[int | None] = mapped_column(Integer, default=None)
    case_id: Mapped[int | None] = mapped_column(Integer, default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditVerification(Base):
    """One verification of the audit chain: running while ``ok`` is None.

    ``first_seq``–``last_seq`` are the events it read (none when ``checked`` is 0); an
    incremental one starts after the verified checkpoint of an earlier one. When the chain was
    intact it signed a verified checkpoint over (``last_seq``, ``verified_hash``,
    ``checkpoint_at``): ``checkpoint_mac`` is that signature.
    """

    __tablename__ = "audit_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(16))  # VerificationScope
    daily: Mapped[bool] = mapped_column(Boolean, default=False)  # the scheduler's job
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ok: Mapped[bool | None] = mapped_column(Boolean, default=None)
    events: Mapped[int] = mapped_column(Integer, default=0)  # the chain's length then
    checked: Mapped[int] = mapped_column(Integer, default=0)
    first_seq: Mapped[int | None] = mapped_column(Integer, default=None)
    last_seq: Mapped[int | None] = mapped_column(Integer, default=None)
    broken_event_id: Mapped[int | None] = mapped_column(Integer, default=None)
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)  # the first broke first
    verified_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    checkpoint_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    checkpoint_mac: Mapped[str | None] = mapped_column(String(64), default=None)
