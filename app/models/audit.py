"""Append-only audit events, chained: each carries its predecessor's hash.

``chain`` says how ``hash`` was computed: 1, sha256 (events written before the audit key
existed); 2, HMAC-SHA256 with the key kept outside the database (``app.anchor``). ``seq`` is the
event's place in the chain (1, 2, 3 … without gaps). ``state`` holds digests of the rows the
event's transaction left behind (``app.services.records.audit_state``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime

LEGACY_CHAIN = 1
SIGNED_CHAIN = 2


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    chain: Mapped[int] = mapped_column(SmallInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True, default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
