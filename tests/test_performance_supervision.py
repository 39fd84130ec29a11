"""Mechanism 7 supervises performance, not only the report (issue 17 point 4): the losing
unit is reminded before the performance period ends and chased after it; when the district
government lost, the unit the bureau names performs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import clock as product_clock
from app.models import Notification, ProcessInstance, Reminder, TaskRecord, User
from app.services.court import messages
from app.services.execution import timer_pass
from tests.helpers import actor, complete

pytestmark = pytest.mark.both_databases

CASE_NO = "（2026）苏0813行初277号"


def _judgment(db, defendants: list[str]) -> None:
    court = actor(db, "court")
    with db.write() as session:
        messages.receive.within(session, court, {
            "name": "pre_filing_notice", "case_no": CASE_NO, "idempotency_key": "p",
            "payload": {"plaintiff": "甲", "agency_unit": "GTZY", "subject": "拆除决定",
                        "court": "洪泽区人民法院"},
        })  # fmt: skip
        messages.receive.within(session, court, {
            "name": "judgment", "case_no": CASE_NO, "idempotency_key": "j",
            "payload": {"outcome": "败诉", "effective_on": "2026-09-30",
                        "performance_deadline": "2026-11-30", "defendants": defendants},
        })  # fmt: skip


def _open(db, bpmn_id: str) -> list[TaskRecord]:
    with db.read() as session:
        return list(
            session.scalars(
                select(TaskRecord)
                .join(ProcessInstance, ProcessInstance.id == TaskRecord.instance_id)
                .where(
                    ProcessInstance.process_id == "judgment_performance",
                    TaskRecord.bpmn_id == bpmn_id,
                    TaskRecord.status == "open",
                )
            )
        )


def _notified(db, kind: str) -> list[tuple[str, str]]:
    with db.read() as session:
        rows = session.execute(
            select(User.username, Notification.message)
            .join(Notification, Notification.user_id == User.id)
            .where(Notification.kind == kind)
            .order_by(Notification.id)
        )
        return [(u, m) for u, m in rows]


def _chased(db, instance_id: int) -> list[tuple[str, str]]:
    with db.read() as session:
        rows = session.scalars(select(Reminder).where(Reminder.instance_id == instance_id))
        return sorted((r.unit.code, r.role or "") for r in rows)


def test_the_unit_is_reminded_before_the_period_ends_and_chased_after(db, clock):
    _judgment(db, ["GTZY"])
    (perform,) = _open(db, "perform_and_report")
    # the report is due 5 日 after the period ends: 12-05 is a Saturday, so Monday 12-07
    assert product_clock.to_local(perform.due_at).date().isoformat() == "2026-12-07"
    assert _notified(db, "remind") == []
    clock.set("2026-11-23T09:00:01+08:00")  # 5 working days before 11-30
    timer_pass.run_pass(db)
    first = _notified(db, "remind")
    assert first and {u for u, _ in first} >= {"gtzy"}
    assert all("履行期限届满前5个工作日提醒" in m for _, m in first)
    clock.set("2026-11-27T09:00:01+08:00")  # 1 working day before
    timer_pass.run_pass(db)
    assert len(_notified(db, "remind")) == 2 * len(first)
    assert _chased(db, perform.instance_id) == []
    clock.set("2026-12-01T09:00:00+08:00")  # the period ended on 11-30 without a report
    timer_pass.run_pass(db)
    assert _chased(db, perform.instance_id) == [("GTZY", "agency_head"), ("TCZX", "")]
    (still,) = _open(db, "perform_and_report")
    assert not product_clock.now() > still.due_at  # the report itself is not late yet


def test_a_reminder_whose_moment_passed_before_the_task_existed_is_not_sent(db, clock):
    clock.set("2026-11-28T10:00:00+08:00")  # after both reminder moments
    _judgment(db, ["GTZY"])
    timer_pass.run_pass(db)
    assert _notified(db, "remind") == []


def test_when_the_government_lost_the_unit_the_bureau_names_performs(db, clock):
    _judgment(db, ["QZF"])
    (choose,) = _open(db, "choose_acting_unit")
    assert choose.unit.code == "SFJ"
    assert _open(db, "perform_and_report") == []
    complete(db, "bureau", choose.id, {"acting_unit": "GTZY", "reason": "强制拆除由其实施"})
    (perform,) = _open(db, "perform_and_report")
    assert perform.unit.code == "GTZY"
    assert product_clock.to_local(perform.due_at).date().isoformat() == "2026-12-07"
