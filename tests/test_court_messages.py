"""Court events through POST /api/v1/messages, and the case timeline (mechanisms 5–8)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import Case, CourtMessage, ProcessInstance
from app.services.actor import SYSTEM
from app.services.identity import org
from tests.samples import PathData, load

pytestmark = pytest.mark.both_databases

NEW_CASE = {
    "plaintiff": "李某某",
    "agency_unit": "SCJG",
    "subject": "不服行政处罚决定",
    "claims": "撤销处罚决定",
    "court": "洪泽区人民法院",
    "received_on": "2026-09-30",
}
CASE_NO = "（2026）苏0813行初88号"


@pytest.fixture
def tokens(db):
    with db.write() as session:
        return {
            u: org.create_token(session, SYSTEM, u) for u in ("court", "center", "scjg", "gtzy")
        }


def _h(token):
    return {"Authorization": f"Bearer {token}"}


def send(client, tokens, name, payload, key, case_no=CASE_NO, who="court"):
    return client.post(
        "/api/v1/messages",
        json={"name": name, "case_no": case_no, "payload": payload, "idempotency_key": key},
        headers=_h(tokens[who]),
    )


def _tasks(client, tokens, who):
    return client.get("/api/v1/tasks", headers=_h(tokens[who])).json


def _complete(client, tokens, who, task, data):
    response = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=_h(tokens[who])
    )
    assert response.status_code == 200, response.json
    return response.json


def test_pre_filing_notice_for_a_new_case_starts_mechanism_5(client, tokens, db):
    response = send(client, tokens, "pre_filing_notice", NEW_CASE, "court-1")
    assert response.status_code == 201, response.json
    assert len(response.json["started"]) == 1
    (task,) = _tasks(client, tokens, "center")
    assert task["bpmn_id"] == "notify_agency"
    # 1 working day after Wed 2026-09-30: the National Day holiday runs to 10-07
    assert task["due_at"].startswith("2026-10-08T15:59:59")
    with db.read() as session:
        case = session.scalar(select(Case).where(Case.case_no == CASE_NO))
        assert case.agency.code == "SCJG"


def test_repeated_idempotency_key_has_no_second_effect(client, tokens, db):
    first = send(client, tokens, "pre_filing_notice", NEW_CASE, "court-1")
    again = send(client, tokens, "pre_filing_notice", NEW_CASE, "court-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json["duplicate"] is True and again.json["id"] == first.json["id"]
    with db.read() as session:
        assert session.scalar(select(func.count(ProcessInstance.id))) == 1
        assert session.scalar(select(func.count(CourtMessage.id))) == 1


def test_unknown_case_number_is_404_with_a_clear_message(client, tokens, db):
    response = send(
        client,
        tokens,
        "loss_warning_letter",
        {"letter_no": "预警〔2026〕1号", "reason": "证据不足"},
        "k-404",
        case_no="（2026）苏0813行初999号",
    )
    assert response.status_code == 404
    assert "案号不存在" in response.json["error"]
    with db.read() as session:
        assert session.scalar(select(func.count(CourtMessage.id))) == 0


def test_bad_message_is_400_and_changes_nothing(client, tokens, db):
    bad_name = send(client, tokens, "hello", {}, "k1")
    assert bad_name.status_code == 400 and "name" in bad_name.json["errors"]
    missing = send(client, tokens, "pre_filing_notice", {"plaintiff": "x"}, "k2")
    assert missing.status_code == 400
    assert {"agency_unit", "subject", "court"} <= set(missing.json["errors"])
    with db.read() as session:
        assert session.scalar(select(func.count(Case.id))) == 0


def test_court_token_may_only_send_messages(client, tokens):
    assert client.get("/api/v1/cases", headers=_h(tokens["court"])).status_code == 403
    assert client.get("/api/v1/processes", headers=_h(tokens["court"])).status_code == 403
    assert send(client, tokens, "pre_filing_notice", NEW_CASE, "k", who="scjg").status_code == 403


def _start_trial(client, tokens):
    send(client, tokens, "pre_filing_notice", NEW_CASE, "court-1")
    response = send(
        client,
        tokens,
        "loss_warning_letter",
        {"letter_no": "洪法预警〔2026〕3号", "reason": "原行政行为认定事实不清"},
        "court-2",
    )
    assert response.status_code == 201, response.json
    return response.json


def test_loss_warning_without_a_waiting_instance_starts_mechanism_6_into_self_correction(
    client, tokens
):
    result = _start_trial(client, tokens)
    assert len(result["started"]) == 1 and result["delivered_to"] == []
    tasks = _tasks(client, tokens, "scjg")
    assert [t["bpmn_id"] for t in tasks] == ["initiate"]  # self_correction, called by mechanism 6
    detail = client.get(f"/api/v1/tasks/{tasks[0]['id']}", headers=_h(tokens["scjg"])).json
    assert detail["bpmn_id"] == "initiate"


def test_loss_warning_reaches_a_waiting_in_trial_instance(client, tokens, db):
    send(client, tokens, "pre_filing_notice", NEW_CASE, "court-1")
    with db.read() as session:
        case_id = session.scalar(select(Case.id).where(Case.case_no == CASE_NO))
    start = client.post(
        f"/api/v1/cases/{case_id}/instances",
        json={"process_id": "in_trial_resolution"},
        headers=_h(tokens["scjg"]),
    )
    assert start.status_code == 201, start.json
    other_agency = client.post(
        f"/api/v1/cases/{case_id}/instances",
        json={"process_id": "in_trial_resolution"},
        headers=_h(tokens["gtzy"]),
    )
    assert other_agency.status_code == 403
    sample = PathData(load("in_trial_resolution")["paths"]["resolved_in_trial"])
    (assign,) = [t for t in _tasks(client, tokens, "scjg") if t["bpmn_id"] == "assign_responsible"]
    _complete(client, tokens, "scjg", assign, sample.next("assign_responsible"))
    response = send(
        client,
        tokens,
        "loss_warning_letter",
        {"letter_no": "洪法预警〔2026〕4号", "reason": "x"},
        "court-3",
    )
    _assert_letter_interrupted(client, tokens, response, start, "record_resolution_work")


def _assert_letter_interrupted(client, tokens, response, start, interrupted: str) -> None:
    """The letter reached the running instance (no new one) and moved it to self-correction."""
    assert response.json["delivered_to"] == [start.json["instance_id"]]
    assert response.json["started"] == []
    bpmn_ids = [t["bpmn_id"] for t in _tasks(client, tokens, "scjg")]
    assert "initiate" in bpmn_ids and interrupted not in bpmn_ids


def test_losing_judgment_records_losers_and_starts_performance_per_defendant(client, tokens, db):
    send(client, tokens, "pre_filing_notice", {**NEW_CASE, "agency_unit": "GTZY"}, "court-1")
    judgment = {
        "outcome": "败诉",
        "effective_on": "2026-09-20",
        "performance_deadline": "2026-09-28",
        "defendants": ["GTZY", "SCJG"],
        "orders_new_act": False,
    }
    response = send(client, tokens, "judgment", judgment, "court-j")
    assert response.status_code == 201, response.json
    with db.read() as session:
        started = [session.get(ProcessInstance, i).process_id for i in response.json["started"]]
    # one performance per losing defendant, one review of the lost case, one fault check
    assert sorted(started) == [
        "fault_determination", "judgment_performance", "judgment_performance", "loss_review",
    ]  # fmt: skip
    with db.read() as session:
        case = session.scalar(select(Case).where(Case.case_no == CASE_NO))
        assert case.outcome == "败诉" and case.losing_units == ["GTZY", "SCJG"]
    (perform,) = [t for t in _tasks(client, tokens, "scjg") if t["bpmn_id"] == "perform_and_report"]
    # 5 日 after 09-28 is 10-03, inside the National Day holiday: rolls to 10-08
    assert perform["due_at"].startswith("2026-10-08T15:59:59")
    case_view = client.get(f"/api/v1/cases/{case.id}", headers=_h(tokens["center"])).json
    assert {i["process_id"] for i in case_view["instances"]} >= {
        "pre_filing_notice",
        "judgment_performance",
    }
    kinds = [e["kind"] for e in case_view["timeline"]]
    assert "message" in kinds and "deadline" in kinds
    times = [e["at"] for e in case_view["timeline"]]
    assert times == sorted(times, reverse=True)


def test_dismissal_after_failed_resolution_starts_post_judgment_explanation(client, tokens):
    send(client, tokens, "pre_filing_notice", NEW_CASE, "court-1")
    response = send(
        client,
        tokens,
        "judgment",
        {"outcome": "驳回起诉", "effective_on": "2026-09-25", "defendants": ["SCJG"]},
        "court-d",
    )
    assert response.status_code == 201, response.json
    assert len(response.json["started"]) == 1
    assert [t["bpmn_id"] for t in _tasks(client, tokens, "center")][-1] == "designate_explainer"


def test_case_closed_without_judgment_records_the_outcome(client, tokens, db):
    send(client, tokens, "pre_filing_notice", NEW_CASE, "court-1")
    response = send(
        client,
        tokens,
        "case_closed_without_judgment",
        {"outcome": "撤诉", "closed_on": "2026-10-12"},
        "court-c",
    )
    assert response.status_code == 201
    with db.read() as session:
        case = session.scalar(select(Case).where(Case.case_no == CASE_NO))
    assert (case.outcome, case.outcome_on) == ("撤诉", "2026-10-12")


def test_case_search(client, tokens):
    send(client, tokens, "pre_filing_notice", NEW_CASE, "court-1")
    for q, found in [("行初88", 1), ("李某某", 1), ("市场监督", 1), ("张三", 0)]:
        result = client.get(f"/api/v1/cases?q={q}", headers=_h(tokens["center"])).json
        assert len(result) == found, q
    assert client.get("/api/v1/cases?q=李某某", headers=_h(tokens["gtzy"])).json == []


def test_loss_warning_is_caught_even_before_the_responsible_people_are_named(client, tokens, db):
    send(client, tokens, "pre_filing_notice", NEW_CASE, "court-1")
    with db.read() as session:
        case_id = session.scalar(select(Case.id).where(Case.case_no == CASE_NO))
    start = client.post(
        f"/api/v1/cases/{case_id}/instances",
        json={"process_id": "in_trial_resolution"},
        headers=_h(tokens["scjg"]),
    )
    response = send(
        client,
        tokens,
        "loss_warning_letter",
        {"letter_no": "洪法预警〔2026〕9号", "reason": "x"},
        "court-9",
    )
    _assert_letter_interrupted(client, tokens, response, start, "assign_responsible")


def test_the_explanation_record_is_issued_by_whoever_explained(client, tokens, db):
    import io

    import docx

    from app.models import Document

    sample = PathData(load("post_judgment_explanation")["paths"]["agency_explains_accepted"])
    send(client, tokens, "pre_filing_notice", NEW_CASE, "court-1")
    send(
        client, tokens, "judgment",
        {"outcome": "驳回起诉", "effective_on": "2026-09-25", "defendants": ["SCJG"]}, "court-d",
    )  # fmt: skip
    (designate,) = [
        t for t in _tasks(client, tokens, "center") if t["bpmn_id"] == "designate_explainer"
    ]
    _complete(client, tokens, "center", designate, sample.next("designate_explainer"))
    (explain,) = _tasks(client, tokens, "scjg")[-1:]
    _complete(client, tokens, "scjg", explain, sample.next("explain_and_guide_agency"))
    with db.read() as session:
        record = session.scalar(select(Document).where(Document.kind == "explanation_record"))
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(record.content)).paragraphs)
    assert text.splitlines()[0].startswith("洪泽区市场监督管理局")  # the issuing body heads it
