"""Alerts to the administrators: an in-app notification each, mailed (when SMTP is configured)
by the next mail batch without waiting out the one-mail-an-hour rule (``mail.URGENT_KINDS``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import Notification, User

AUDIT = "audit"  # the audit chain failed a verification


def alert_administrators(session: Session, kind: str, message: str) -> int:
    """Every active administrator gets ``message``; returns how many were alerted."""
    now = clock.now()
    admins = list(
        session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True)))
    )
    for user_id in admins:
        session.add(Notification(user_id=user_id, kind=kind, message=message, created_at=now))
    return len(admins)
