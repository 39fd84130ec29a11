"""What a judgment message says is checked, recorded once, and starts each unit's own clock
(issue 17 point 2, issue 18 point 6)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import clock as product_clock
from app.models import AuditEvent, Case, CourtMessage, ProcessInstance, TaskRecord
from app.services.actor import SYSTEM
from app.services.identity import org

pytestmark = pytest.mark.both_databases

CASE_NO = "（2026）苏0813行初188号"
NOTICE = {
    "plaintiff": "某某公司", "agency_unit": "GTZY", "subject": "行政处罚",
    "court": "洪泽区人民法院", "received_on": "2026-09-30",
}  # fmt: skip
LOST = {
    "outcome": "败诉", "effective_on": "2026-09-30", "performance_deadline": "2026-11-30",
    "defendants": ["GTZY", "SCJG"],
}  # fmt: skip


@pytest.fixture
def tokens(db):
    with db.write() as session:
        return {u: org.create_token(session, SYSTEM, u) for u in ("court", "center", "admin")}


def send(client, tokens, name, payload, key, who="court"):
    return client.post(
        "/api/v1/messages",
        json={"name": name, "case_no": CASE_NO, "payload": payload, "idempotency_key": key},
        headers={"Authorization": f"Bearer {tokens[who]}"},
    )


@pytest.fixture
def case(client, tokens):
    assert send(client, tokens, "pre_filing_notice", NOTICE, "n1").status_code == 201


def _reviews(db) -> dict[str, TaskRecord]:
    with db.read() as session:
        rows = session.scalars(select(TaskRecord).where(TaskRecord.bpmn_id == "write_review"))
        return {t.unit.code: t for t in rows}


def _count(db, model, *where) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_co_defendants_served_on_different_days_get_different_review_deadlines(
    client, tokens, db, clock, case
):
    clock.set("2026-10-16T10:00:00+08:00")
    served = {"GTZY": "2026-10-09", "SCJG": "2026-10-13"}
    response = send(client, tokens, "judgment", {**LOST, "served_on": served}, "j1")
    assert response.status_code == 201, response.json
    reviews = _reviews(db)
    due = {code: product_clock.to_local(t.due_at).date().isoformat() for code, t in reviews.items()}
    # 5 working days after each unit's own receipt
    assert due == {"GTZY": "2026-10-15", "SCJG": "2026-10-20"}
    assert reviews["SCJG"].due_rule.startswith("起算：2026-10-13 收到败诉裁判文书（法院消息）")


def test_a_defendant_without_a_service_date_counts_from_the_arrival(
    client, tokens, db, clock, case
):
    clock.set("2026-10-12T10:00:00+08:00")
    response = send(client, tokens, "judgment", {**LOST, "served_on": {"GTZY": "2026-10-09"}}, "j1")
    assert response.status_code == 201, response.json
    reviews = _reviews(db)
    assert reviews["SCJG"].due_rule.startswith(
        "起算：2026-10-12 收到败诉裁判文书（系统记录 10:00）"
    )


@pytest.mark.parametrize(
    ("served_on", "expected"),
    [
        ({"CHZ": "2026-10-09"}, "CHZ 不是本案被告"),
        ({"GTZY": "2026-12-01"}, "GTZY：2026-12-01 晚于今天"),
        ({"GTZY": "2026-09-01"}, "GTZY：2026-09-01 早于本案登记日期 2026-09-30"),
        ({"GTZY": "十月九日"}, "GTZY：请输入有效日期"),
        (["GTZY"], "应为对象"),
    ],
)
def test_service_dates_are_checked_and_a_refusal_stores_nothing(
    client, tokens, db, clock, case, served_on, expected
):
    clock.set("2026-10-16T10:00:00+08:00")
    response = send(client, tokens, "judgment", {**LOST, "served_on": served_on}, "j1")
    assert response.status_code == 400
    assert any(expected in m for m in response.json["errors"]["served_on"]), response.json
    assert _count(db, CourtMessage, CourtMessage.name == "judgment") == 0
    assert _count(db, ProcessInstance, ProcessInstance.process_id == "loss_review") == 0


def test_only_the_courts_token_sends_court_messages(client, tokens, case):
    for who in ("center", "admin"):
        response = send(client, tokens, "judgment", LOST, f"j-{who}", who=who)
        assert response.status_code == 403, who


def test_a_court_is_never_a_defendant(client, tokens, db, case):
    response = send(client, tokens, "judgment", {**LOST, "defendants": ["GTZY", "FY"]}, "j1")
    assert response.status_code == 400
    assert "只有行政机关或区政府可以是被告：FY" in response.json["errors"]["defendants"][0]


def test_an_oversized_payload_is_refused_with_413(client, tokens, case):
    response = send(client, tokens, "judgment", {**LOST, "note": "长" * 40_000}, "j1")
    assert response.status_code == 413
    assert "payload" in response.json["errors"]


def test_a_second_judgment_is_refused_and_a_correction_starts_nothing_twice(
    client, tokens, db, clock, case
):
    clock.set("2026-10-12T10:00:00+08:00")
    assert send(client, tokens, "judgment", LOST, "j1").status_code == 201
    started = _count(db, ProcessInstance)
    again = send(client, tokens, "judgment", {**LOST, "outcome": "部分败诉"}, "j2")
    assert again.status_code == 409 and "correction" in again.json["error"]
    corrected = send(
        client, tokens, "judgment",
        {**LOST, "outcome": "部分败诉", "correction": True,
         "correction_reason": "裁判结果录入有误"},
        "j3",
    )  # fmt: skip
    assert corrected.status_code == 201, corrected.json
    assert corrected.json["started"] == []
    assert _count(db, ProcessInstance) == started
    with db.read() as session:
        case_row = session.scalar(select(Case).where(Case.case_no == CASE_NO))
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "case.judgment_correct")
        )
    assert case_row.outcome == "部分败诉"
    assert (
        event.detail["before"]["outcome"] == "败诉" and event.detail["reason"] == "裁判结果录入有误"
    )


def test_a_correction_that_reverses_the_loss_withdraws_the_loss_processes(
    client, tokens, db, clock, case
):
    clock.set("2026-10-12T10:00:00+08:00")
    assert send(client, tokens, "judgment", LOST, "j1").status_code == 201
    reversed_ = send(
        client, tokens, "judgment",
        {"outcome": "胜诉", "effective_on": "2026-10-12", "defendants": ["GTZY", "SCJG"],
         "correction": True, "correction_reason": "二审改判"},
        "j2",
    )  # fmt: skip
    assert reversed_.status_code == 201, reversed_.json
    with db.read() as session:
        loss = list(
            session.scalars(
                select(ProcessInstance).where(
                    ProcessInstance.process_id.in_(
                        ["judgment_performance", "loss_review", "fault_determination"]
                    )
                )
            )
        )
        open_tasks = session.scalar(
            select(func.count(TaskRecord.id)).where(
                TaskRecord.instance_id.in_([i.id for i in loss]), TaskRecord.status == "open"
            )
        )
        reasons = [
            e.detail["reason"]
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "instance.cancel")
            )
        ]
    assert loss and {i.status for i in loss} == {"cancelled"}
    assert open_tasks == 0
    assert len(reasons) == len(loss) and all("二审改判" in r for r in reasons)


def test_a_case_closed_after_a_loss_withdraws_what_the_loss_started(client, tokens, db, case):
    assert send(client, tokens, "judgment", LOST, "j1").status_code == 201
    closed = send(
        client,
        tokens,
        "case_closed_without_judgment",
        {"outcome": "撤诉", "closed_on": "2026-09-30"},
        "c1",
    )
    assert closed.status_code == 201, closed.json
    with db.read() as session:
        statuses = set(
            session.scalars(
                select(ProcessInstance.status).where(
                    ProcessInstance.process_id.in_(["loss_review", "fault_determination"])
                )
            )
        )
        case_row = session.scalar(select(Case).where(Case.case_no == CASE_NO))
    assert statuses == {"cancelled"}
    assert (case_row.outcome, case_row.losing_units) == ("撤诉", [])


def test_the_service_of_a_loss_warning_letter_is_checked_and_recorded(client, tokens, db, case):
    letter = {"letter_no": "洪法预警〔2026〕9号", "reason": "事实不清"}
    late = send(client, tokens, "loss_warning_letter", {**letter, "served_on": "2027-01-05"}, "w1")
    assert late.status_code == 400 and "served_on" in late.json["errors"]
    ok = send(client, tokens, "loss_warning_letter", {**letter, "served_on": "2026-09-30"}, "w2")
    assert ok.status_code == 201, ok.json
    with db.read() as session:
        (instance,) = session.scalars(
            select(ProcessInstance).where(ProcessInstance.process_id == "in_trial_resolution")
        )
    from app.services.execution import instances  # the record lives in the process data

    with db.read() as session:
        workflow = instances.restore(session, session.get(ProcessInstance, instance.id))
        data = instances.ENGINE.data(workflow)
    assert data["warning_served"]["on"] == "2026-09-30"
    assert data["warning_served"]["source"] == "court"
