"""行政复议被纠错 enters mechanism 9 and the statistics (issue 17 point 3)."""

from __future__ import annotations

import io

import pytest
from docx import Document as Docx
from sqlalchemy import select

from app import clock as product_clock
from app.models import Case, Document, TaskRecord
from app.services.actor import SYSTEM
from app.services.identity import org
from app.services.reporting import stats
from tests.document_paths import Env
from tests.helpers import actor
from tests.samples import PathData, load
from tests.test_web import login

pytestmark = pytest.mark.both_databases

CORRECTED = {
    "decision_no": "洪政复决〔2026〕12号", "unit": "GTZY", "applicant": "某某公司",
    "subject": "不服行政处罚决定", "outcome": "撤销", "decided_on": "2026-10-09",
    "received_on": "2026-10-12",
}  # fmt: skip


@pytest.fixture
def tokens(db):
    with db.write() as session:
        return {u: org.create_token(session, SYSTEM, u) for u in ("bureau", "gtzy", "court")}


def record(client, tokens, body, who="bureau"):
    return client.post(
        "/api/v1/reconsiderations", json=body, headers={"Authorization": f"Bearer {tokens[who]}"}
    )


def test_a_correcting_decision_starts_the_units_review_from_its_receipt(client, tokens, db, clock):
    clock.set("2026-10-14T10:00:00+08:00")
    response = record(client, tokens, CORRECTED)
    assert response.status_code == 201, response.json
    assert len(response.json["started"]) == 1
    with db.read() as session:
        review = session.scalar(select(TaskRecord).where(TaskRecord.bpmn_id == "write_review"))
        case = session.get(Case, response.json["id"])
    assert (case.kind, case.losing_units) == ("reconsideration", ["GTZY"])
    assert review.unit.code == "GTZY"
    # 5 working days after the unit received the decision (10-12): 10-13 … 10-19
    assert product_clock.to_local(review.due_at).date().isoformat() == "2026-10-19"
    assert review.due_rule.startswith("起算：2026-10-12 收到纠错的行政复议决定书（")
    assert "洪泽区司法局" in review.due_rule and "录入）" in review.due_rule


def test_the_review_of_a_corrected_case_is_titled_and_worded_as_such(
    client, tokens, db, settings, clock
):
    """Each of the review's three documents names the reconsideration, not a lawsuit."""
    clock.set("2026-10-14T10:00:00+08:00")
    assert record(client, tokens, CORRECTED).status_code == 201
    with db.read() as session:
        review = session.scalar(select(TaskRecord).where(TaskRecord.bpmn_id == "write_review"))
    Env(db, settings, clock).drive(
        review.instance_id, PathData(load("loss_review")["paths"]["single_unit"])
    )
    case = (
        "申请人某某公司因不服行政处罚决定申请行政复议一案"
        "（洪泽区人民政府，复议决定书文号：洪政复决〔2026〕12号）"
    )
    said = {
        "loss_review_report": (
            "行政复议被纠错案件复盘分析报告",
            [f"{case}，复议决定为撤销。本单位于2026年10月12日收到行政复议决定书。"],
        ),
        "rectification_report": ("复议被纠错案件整改方案及整改情况报告", [f"针对{case}中"]),
        "bureau_analysis_report": (
            "行政复议被纠错案件分析报告",
            [f"{case}，复议决定为撤销。", "\n申请人：某某公司\n", "\n复议机关：洪泽区人民政府\n",
             "\n复议决定书文号：洪政复决〔2026〕12号\n", "\n复议决定：撤销\n",
             "\n收到行政复议决定书日期：2026年10月12日\n"],
        ),
    }  # fmt: skip
    for kind, (title, phrases) in said.items():
        with db.read() as session:
            (doc,) = session.scalars(select(Document).where(Document.kind == kind))
        paragraphs = [p.text for p in Docx(io.BytesIO(doc.content)).paragraphs]
        text = "\n".join(paragraphs)
        assert doc.name.startswith(title)
        assert [p for p in paragraphs if p.strip()][2] == title  # after the issuer and number
        assert [phrase for phrase in phrases if phrase not in text] == [], kind
        lawsuit = ("原告：", "审理法院：", "案号：", "裁判结果：")
        assert [p for p in paragraphs if p.startswith(lawsuit)] == [], kind


def test_every_decision_counts_in_the_correction_rate_and_none_in_the_loss_rate(
    client, tokens, db, clock
):
    clock.set("2026-10-14T10:00:00+08:00")
    upheld = {**CORRECTED, "decision_no": "洪政复决〔2026〕13号", "outcome": "维持"}
    assert record(client, tokens, CORRECTED).status_code == 201
    kept = record(client, tokens, upheld)
    assert kept.status_code == 201 and kept.json["started"] == []
    with db.read() as session:
        period = stats.Period.parse("2026-01-01", "2026-12-31")
        rates = stats.correction_rates(session, actor(db, "bureau"), period)
        losses = stats.loss_rates(session, actor(db, "bureau"), period)
    assert [(r.unit_code, r.corrected, r.decided, r.rate) for r in rates] == [("GTZY", 1, 2, 0.5)]
    assert losses == []  # no lawsuit concluded
    api = client.get(
        "/api/v1/stats/loss-rate?from=2026-01-01&to=2026-12-31",
        headers={"Authorization": f"Bearer {tokens['bureau']}"},
    ).json
    assert api["reconsideration"] == [
        {"unit": "GTZY", "name": "洪泽区自然资源和规划局", "corrected": 1, "decided": 2,
         "correction_rate": 0.5}
    ]  # fmt: skip


def test_only_the_bureau_records_and_bad_input_names_every_field(client, tokens, db, clock):
    clock.set("2026-10-14T10:00:00+08:00")
    assert record(client, tokens, CORRECTED, who="gtzy").status_code == 403
    bad = {**CORRECTED, "unit": "FY", "outcome": "改判", "received_on": "2026-10-01"}
    bad.pop("applicant")
    response = record(client, tokens, bad)
    assert response.status_code == 400
    assert set(response.json["errors"]) >= {"unit", "outcome", "applicant"}
    early = record(client, tokens, {**CORRECTED, "received_on": "2026-10-08"})
    assert early.status_code == 400 and "received_on" in early.json["errors"]
    assert record(client, tokens, CORRECTED).status_code == 201
    assert record(client, tokens, CORRECTED).status_code == 409


def test_the_bureau_records_a_decision_in_the_browser_form(client, db, clock):
    clock.set("2026-10-14T10:00:00+08:00")
    login(client, "bureau")
    page = client.get("/reconsiderations/new")
    assert page.status_code == 200 and "登记行政复议决定" in page.get_data(as_text=True)
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/reconsiderations/new", data={**CORRECTED, "csrf_token": token})
    assert response.status_code == 302
    case_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "洪政复决〔2026〕12号" in case_page
