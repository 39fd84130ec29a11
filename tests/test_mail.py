"""E-mail batches (at most one per person per hour, every mail recorded) and the daily digest."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlalchemy import select, update

from app.models import MailOutbox, Notification, User
from app.services.execution import timer_pass
from app.services.notify import mail
from tests.helpers import register, step

pytestmark = pytest.mark.both_databases


def _give_emails(db) -> None:
    with db.write() as session:
        session.execute(update(User).values(email=User.username + "@hz.example"))


def test_notifications_are_mailed_in_hourly_batches(db, clock):
    _give_emails(db)
    sent: list[EmailMessage] = []
    first = register(db)
    step(db, first, "center", "register_materials")
    second = register(db, court_case_no="（2026）苏0813行诉前41号")
    step(db, second, "center", "register_materials")
    clock.set("2026-10-09T09:00:01+08:00")
    timer_pass.run_pass(db)  # two reminders for each GTZY staff member
    with db.write() as session:
        assert mail.send_batches(session, sent.append) == 3  # gtzy, gtzy_lawyer, gtzy_reviewer
    to_gtzy = [m for m in sent if m["To"] == "gtzy@hz.example"]
    assert len(to_gtzy) == 1 and to_gtzy[0].get_content().count("提醒") == 2
    clock.set("2026-10-12T09:00:01+08:00")  # the deadline passed: the head is chased
    timer_pass.run_pass(db)
    clock.set("2026-10-12T09:30:00+08:00")
    with db.write() as session:
        mail.send_batches(session, sent.append)
    assert [m["To"] for m in sent].count("gtzy_head@hz.example") == 1
    with db.read() as session:
        recorded = list(session.scalars(select(MailOutbox)))
    assert len(recorded) == len(sent) and all(r.error == "" for r in recorded)


def test_at_most_one_mail_an_hour(db, clock):
    _give_emails(db)
    sent: list[EmailMessage] = []
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    clock.set("2026-10-09T09:00:01+08:00")
    timer_pass.run_pass(db)
    with db.write() as session:
        mail.send_batches(session, sent.append)
    with db.write() as session:  # a new notification within the hour waits
        gtzy = session.scalar(select(User).where(User.username == "gtzy"))
        session.add(
            Notification(user_id=gtzy.id, kind="remind", message="催办", created_at=product_now())
        )
    with db.write() as session:
        assert mail.send_batches(session, sent.append) == 0
    clock.set("2026-10-09T10:01:00+08:00")
    with db.write() as session:
        assert mail.send_batches(session, sent.append) == 1


def product_now():
    from app import clock

    return clock.now()


def test_failed_sending_is_recorded(db, clock):
    _give_emails(db)
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    clock.set("2026-10-09T09:00:01+08:00")
    timer_pass.run_pass(db)

    def broken(message: EmailMessage) -> None:
        raise OSError("connection refused")

    with db.write() as session:
        mail.send_batches(session, broken)
    with db.read() as session:
        recorded = list(session.scalars(select(MailOutbox)))
    assert sorted(r.address for r in recorded) == [
        "gtzy@hz.example", "gtzy_lawyer@hz.example", "gtzy_reviewer@hz.example"
    ]  # fmt: skip
    assert all("connection refused" in r.error for r in recorded)


def test_daily_digest_lists_what_falls_due_within_three_working_days(db, clock):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")  # due 10-10
    clock.set("2026-10-08T08:30:00+08:00")  # 10-08, 10-09, 10-10 are the next working days
    with db.write() as session:
        assert mail.daily_digest(session) == 4  # GTZY's staff and head: the task is theirs
        digest = session.scalar(select(Notification).where(Notification.kind == "digest"))
    assert "10-10到期" in digest.message
    clock.set("2026-10-03T08:30:00+08:00")  # a holiday: no digest
    with db.write() as session:
        assert mail.daily_digest(session) == 0
