"""Incidents: a run-time engine error that stopped an instance, until someone retries it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime


class Incident(Base):
    """One stop of one instance: where (the diagram element), why (in Chinese and in the
    engine's words) and when; resolved by a retry that gets past it."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_open", "resolved_at", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(100), default="")
    element_name: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(String(500))  # Chinese, for the process owner
    detail: Mapped[str] = mapped_column(Text, default="")  # the engine's words
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(64), default=None)

    instance = relationship("ProcessInstance", lazy="joined")
