"""Mechanisms 9 and 10 after a losing judgment: reviews per losing unit, head approval,
deadlines, the bureau's analysis, and the determination of subjective fault."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import Forbidden
from app.models import Document, ProcessInstance, Reminder, TaskRecord
from app.services.court import messages
from app.services.execution import completion
from app.workdays import SHANGHAI
from tests.helpers import actor
from tests.samples import PathData, load

pytestmark = pytest.mark.both_databases

CASE_NO = "（2026）苏0813行初77号"


def _notice(db, agency="GTZY"):
    messages.receive(db, actor(db, "court"), {
        "name": "pre_filing_notice", "case_no": CASE_NO, "idempotency_key": "n1",
        "payload": {"plaintiff": "周某", "agency_unit": agency, "subject": "行政处罚",
                    "court": "洪泽区人民法院"},
    })  # fmt: skip


def _judgment(db, losers, defendants=None):
    with db.write() as session:
        received = messages.receive.within(session, actor(db, "court"), {
            "name": "judgment", "case_no": CASE_NO, "idempotency_key": "j1",
            "payload": {"outcome": "败诉", "effective_on": "2026-09-25",
                        "performance_deadline": "2026-10-30",
                        "defendants": defendants or losers, "losing_units": losers},
        })  # fmt: skip
        return received.message.started


def _open(db, process_id, bpmn_id=None):
    with db.read() as session:
        stmt = (
            select(TaskRecord)
            .join(ProcessInstance, ProcessInstance.id == TaskRecord.instance_id)
            .where(ProcessInstance.process_id == process_id, TaskRecord.status == "open")
            .order_by(TaskRecord.id)
        )
        if bpmn_id:
            stmt = stmt.where(TaskRecord.bpmn_id == bpmn_id)
        return list(session.scalars(stmt))


def _complete(db, username, task, data):
    with db.write() as session:
        completion.complete_task(session, actor(db, username), task.id, data)


@pytest.fixture
def review_data():
    return PathData(load("loss_review")["paths"]["co_defendants"])


def test_every_co_defendant_reviews_in_parallel(db, review_data):
    _notice(db)
    started = _judgment(db, ["GTZY", "SCJG"])
    with db.read() as session:
        kinds = {session.get(ProcessInstance, i).process_id for i in started}
    assert {"loss_review", "fault_determination", "judgment_performance"} <= kinds
    reviews = _open(db, "loss_review", "write_review")
    assert sorted(t.unit.code for t in reviews) == ["GTZY", "SCJG"]
    # 5 working days after the judgment was received (2026-09-30): 10-08, 09, 10, 12, 13
    assert {t.due_at.isoformat()[:10] for t in reviews} == {"2026-10-13"}


def test_head_approval_is_a_separate_task_for_the_head_only(db, review_data, clock):
    _notice(db)
    _judgment(db, ["GTZY"])
    (review,) = _open(db, "loss_review", "write_review")
    _complete(db, "gtzy", review, review_data.next("write_review"))
    (approval,) = _open(db, "loss_review", "approve_review")
    assert approval.role == "agency_head"
    with pytest.raises(Forbidden):
        _complete(db, "gtzy", approval, review_data.next("approve_review"))
    clock.set("2026-10-09T16:00:00+08:00")  # the head signs the review off today
    _complete(db, "gtzy_head", approval, review_data.next("approve_review"))
    (rectify,) = _open(db, "loss_review", "submit_rectification")
    # 10 working days after the review was signed off (10-09): 10-10 (make-up Sat) … 10-22
    assert rectify.due_at.isoformat()[:10] == "2026-10-22"
    with db.read() as session:
        kinds = [d.kind for d in session.scalars(select(Document))]
    assert "loss_review_report" in kinds


def test_missed_review_deadline_escalates_to_head_and_bureau(db, clock):
    from app.services.execution import timer_pass

    _notice(db)
    _judgment(db, ["SCJG"])
    clock.set("2026-10-14T09:00:00+08:00")
    assert timer_pass.run_pass(db).fired >= 1
    with db.read() as session:
        targets = {(r.unit.code, r.role or "") for r in session.scalars(select(Reminder))}
    assert {("SCJG", "agency_head"), ("SFJ", "")} <= targets


def test_government_loss_is_reviewed_by_the_acting_unit_the_bureau_chooses(db):
    _notice(db)
    _judgment(db, ["QZF"])
    (choose,) = _open(db, "loss_review", "choose_acting_unit")
    assert choose.unit.code == "SFJ"
    _complete(db, "bureau", choose, {"acting_unit": "SCJG", "reason": "处罚由市场监管局实施"})
    (review,) = _open(db, "loss_review", "write_review")
    assert review.unit.code == "SCJG"


def test_the_acting_units_period_counts_from_its_naming_and_survives_a_returned_review(
    db, clock, review_data
):
    _notice(db)
    _judgment(db, ["QZF"])
    (choose,) = _open(db, "loss_review", "choose_acting_unit")
    clock.set("2026-10-12T10:00:00+08:00")  # the bureau names the unit on 10-12
    _complete(db, "bureau", choose, {"acting_unit": "SCJG", "reason": "处罚由市场监管局实施"})
    (review,) = _open(db, "loss_review", "write_review")
    assert review.due_at.astimezone(SHANGHAI).date().isoformat() == "2026-10-19"
    assert review.due_rule.startswith("起算：2026-10-12 “确定原具体实施单位”提交")
    clock.set("2026-10-15T10:00:00+08:00")
    _complete(db, "scjg", review, review_data.next("write_review"))
    (approval,) = _open(db, "loss_review", "approve_review")
    _complete(db, "scjg_head", approval, {"approved": "no", "approval_comment": "原因分析不深"})
    (again,) = _open(db, "loss_review", "write_review")
    assert again.id != review.id and again.due_at == review.due_at  # the same receipt


def test_a_transfer_ends_the_determination_and_the_discipline_organ_may_give_feedback(db):
    """The transfer is the 移送函 and its record; the discipline organ's feedback is its own
    process, which nothing waits for."""
    data = PathData(load("fault_determination")["paths"]["fault_transferred"])
    _notice(db)
    _judgment(db, ["GTZY"])
    (determine,) = _open(db, "fault_determination", "determine_fault")
    assert determine.unit.code == "SFJ"
    _complete(db, "bureau", determine, {**data.next("determine_fault"), "responsible_unit": "GTZY"})
    (transfer,) = _open(db, "fault_determination", "issue_transfer")
    _complete(db, "bureau", transfer, data.next("issue_transfer"))
    assert _open(db, "fault_determination") == []
    with db.read() as session:
        letter = session.scalar(
            select(Document).where(Document.kind == "discipline_transfer_letter")
        )
        determination = session.get(ProcessInstance, transfer.instance_id)
        assert determination.status == "completed"  # the case does not wait for feedback
    (feedback,) = _open(db, "discipline_feedback", "record_feedback")
    assert feedback.unit.code == "JW" and feedback.due_at is None
    assert letter is not None and feedback.case_id == transfer.case_id
    sample = PathData(load("discipline_feedback")["paths"]["feedback_recorded"])
    _complete(db, "jw", feedback, sample.next("record_feedback"))
    assert _open(db, "discipline_feedback") == []


def test_no_fault_ends_the_determination(db):
    data = PathData(load("fault_determination")["paths"]["no_fault"])
    _notice(db)
    _judgment(db, ["GTZY"])
    (determine,) = _open(db, "fault_determination", "determine_fault")
    _complete(db, "bureau", determine, data.next("determine_fault"))
    assert _open(db, "fault_determination") == []
