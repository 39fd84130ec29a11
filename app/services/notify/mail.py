"""E-mail for notifications (off unless SMTP is configured), batched, and the daily digest.

A person gets at most one mail per hour: pending notifications are gathered into one; an urgent
one (``URGENT_KINDS``, e.g. a failed audit verification) goes with the next batch anyway. The
daily digest (working days, 08:30) lists their open tasks due within three working days (the
setting ``digest_working_days``); it is an in-app notification too, so it is recorded even
without SMTP. Every mail sent (or that failed) is kept in ``mail_outbox``.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from datetime import datetime, time, timedelta
from email.message import EmailMessage

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.config import DIGEST_WORKING_DAYS, Settings
from app.models import MailOutbox, Notification, User
from app.services import district_settings
from app.services.actor import Actor
from app.services.execution import holidays
from app.services.identity.permissions import Action, may
from app.services.notify import alerts, webhooks
from app.services.reporting import queries

BATCH_INTERVAL = timedelta(hours=1)
URGENT_KINDS = frozenset({alerts.AUDIT})  # not held back by BATCH_INTERVAL


Sender = Callable[[EmailMessage], None]


def smtp_sender(settings: Settings) -> Sender:
    """Mail through the configured SMTP server (``settings.smtp_*``)."""

    def send(message: EmailMessage) -> None:
        message["From"] = settings.smtp_from
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)

    return send


def send_batches(session: Session, send: Sender) -> int:
    """One mail per person with pending notifications, at most one per hour; returns mails."""
    now = clock.now()
    users = session.scalars(
        select(User)
        .join(Notification, Notification.user_id == User.id)
        .where(Notification.mailed_at.is_(None), User.email != "")
        .distinct()
    )
    sent = 0
    for user in list(users):
        last = session.scalar(
            select(func.max(MailOutbox.created_at)).where(MailOutbox.user_id == user.id)
        )
        pending = list(
            session.scalars(
                select(Notification)
                .where(Notification.user_id == user.id, Notification.mailed_at.is_(None))
                .order_by(Notification.id)
            )
        )
        recently = last is not None and now - last < BATCH_INTERVAL
        if recently and not any(n.kind in URGENT_KINDS for n in pending):
            continue
        body = "\n".join(f"- {n.message}" for n in pending)
        _send(session, send, user, f"化解：您有 {len(pending)} 条新通知", body, now)
        for n in pending:
            n.mailed_at = now
        sent += 1
    return sent


def _send(session: Session, send: Sender, user: User, subject: str, body: str, now: object) -> None:
    message = EmailMessage()
    message["To"] = user.email
    message["Subject"] = subject
    message.set_content(body)
    error = ""
    try:
        send(message)
    except (OSError, smtplib.SMTPException) as exc:
        error = str(exc)
    session.add(
        MailOutbox(
            user_id=user.id, address=user.email, subject=subject, body=body,
            created_at=now, error=error,
        )
    )  # fmt: skip


def daily_digest(session: Session) -> int:
    """Each person's open tasks due within ``digest_working_days`` (3) working days, as a
    notification."""
    now = clock.now()
    cal = holidays.load(session)
    today = clock.local_now().date()
    if not cal.is_workday(today):
        return 0
    start_of_day = clock.to_utc(datetime.combine(today, time(), clock.SHANGHAI))
    if session.scalar(  # made already today (another process, or a restart)
        select(Notification.id)
        .where(Notification.kind == "digest", Notification.created_at >= start_of_day)
        .limit(1)
    ):
        return 0
    days = district_settings.get(session, DIGEST_WORKING_DAYS)
    horizon = cal.add_working_days(today, days).due_at
    made = 0
    by_unit: dict[int, dict[int, str]] = {}  # unit -> task id -> its line, for the unit's robot
    for user in session.scalars(select(User).where(User.active.is_(True))):
        if not may(user.role, Action.WORK):
            continue
        due = [
            t for t in queries.inbox(session, Actor.of(user))
            if t.due_at is not None and t.due_at <= horizon
        ]  # fmt: skip
        if not due:
            continue
        each = {
            t.id: f"“{t.name}”{clock.to_local(t.due_at).strftime('%m-%d')}到期"
            for t in due
            if t.due_at is not None
        }
        if user.unit_id is not None:
            by_unit.setdefault(user.unit_id, {}).update(each)
        session.add(
            Notification(
                user_id=user.id, kind="digest",
                message=f"{days} 个工作日内到期：{'；'.join(each.values())}", created_at=now,
            )
        )  # fmt: skip
        made += 1
    for unit_id, lines in by_unit.items():
        text = f"本单位 {days} 个工作日内到期的任务 {len(lines)} 项：{'；'.join(lines.values())}"
        webhooks.queue(session, [unit_id], "digest", text)
    return made
