"""The office's own tools: a unit's group-chat robot and the messages sent to it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime
from app.models.org import Unit


class UnitWebhook(Base):
    """A unit's group robot (群机器人) that receives its notifications: 企业微信 or 钉钉 style."""

    __tablename__ = "unit_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # wecom, dingtalk
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200), default="")  # 钉钉 加签
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship(lazy="joined")


class WebhookDelivery(Base):
    """One message for a unit's robot, with every attempt to deliver it (like ``mail_outbox``)."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # reminder, head, escalation, digest
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sent, failed
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # [{"at": ISO time, "status": HTTP status or null, "error": text}]
    attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    tries: Mapped[int] = mapped_column(Integer, default=0)
