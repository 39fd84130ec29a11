"""Mechanisms 1–3 through the service layer: every sample path, and the rules around them."""

from __future__ import annotations

import io
from typing import Any

import pytest
from docx import Document as Docx
from sqlalchemy import select

from app.errors import Conflict, Forbidden
from app.models import Document, ProcessInstance, TaskRecord
from app.services.execution import completion, instances, processes
from app.services.records import attachments
from tests.helpers import actor
from tests.samples import PathData, all_paths, load

pytestmark = pytest.mark.both_databases

STARTERS = {"案涉行政机关": "gtzy", "区司法局": "bureau"}
WORKERS = [
    "gtzy", "gtzy_head", "gtzy_reviewer", "gtzy_lawyer",
    "scjg", "scjg_head", "scjg_reviewer", "scjg_lawyer",
    "bureau", "bureau_head", "center", "leader", "jw",
]  # fmt: skip
PDF = attachments.Upload("材料.pdf", b"%PDF-1.4 sample")
SAMPLE_PATHS = all_paths()  # fmt: skip
REVIEW = ["loss_review_report", "rectification_report", "bureau_analysis_report"]


def _split_uploads(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list]]:
    """Sample attachment refs become real uploads, as the web form sends them."""
    uploads = {}
    for key, value in list(data.items()):
        if (
            isinstance(value, list)
            and value
            and isinstance(value[0], dict)
            and "sha256" in value[0]
        ):
            uploads[key] = [PDF for _ in value]
            del data[key]
    return data, uploads


def _open_tasks(db, instance_id: int) -> list[TaskRecord]:
    with db.read() as session:
        return list(
            session.scalars(
                select(TaskRecord)
                .where(TaskRecord.instance_id == instance_id, TaskRecord.status == "open")
                .order_by(TaskRecord.id)
            )
        )


def _worker(task: TaskRecord, db) -> str:
    for username in WORKERS:
        if instances.can_work_on(actor(db, username), task):
            return username
    raise AssertionError(f"nobody can work on {task.bpmn_id}")


def complete(db, settings, username: str, task_id: int, data: dict[str, Any]) -> None:
    data, uploads = _split_uploads(dict(data))
    with db.write() as session:
        completion.complete_task(
            session, actor(db, username), task_id, data, uploads,
            settings.data_dir / "attachments",
        )  # fmt: skip


def start(db, process_id: str, username: str) -> int:
    return processes.start(db, actor(db, username), process_id, {}).id


def _start_with_sample(db, process_id: str, path: PathData, sample: dict) -> int:
    """Case-bound mechanisms start with the data a court message or a case gives them."""
    from app.services.actor import SYSTEM
    from app.services.design import definitions

    if process_id not in processes.case_processes():
        start_lane = {"enforcement_supervision": "区司法局"}.get(process_id, "案涉行政机关")
        return start(db, process_id, STARTERS[start_lane])
    data = {
        **sample["start"],
        **path.start(),
        "lane_owners": {"区调处中心": "TCZX", **sample["lane_owners"]},
    }
    with db.write() as session:
        definition = definitions.latest_definition(session, process_id)
        return instances.start(session, SYSTEM, definition, data).id


# the documents each sample path renders, in order: the diagram's document tasks on that path
# (a path through none of them renders none, and says so here)
PATH_DOCUMENTS: dict[tuple[str, str], list[str]] = {
    ("discipline_feedback", "feedback_recorded"): [],
    ("enforcement_supervision", "suggestion_accepted"): ["supervision_suggestion"],
    ("enforcement_supervision", "decision_rejected_once_then_accepted"): ["supervision_decision"],
    ("enforcement_supervision", "no_instrument"): [],
    ("fault_determination", "no_fault"): [],
    ("fault_determination", "fault_transferred"): ["discipline_transfer_letter"],
    ("in_trial_resolution", "resolved_in_trial"): [],
    ("in_trial_resolution", "warning_at_start_unresolved_reported"): [
        "self_correction_decision", "special_report"],
    ("in_trial_resolution", "warning_at_start_resolved"): [],  # 不予纠正: no decision served
    ("judgment_performance", "plain_performance"): ["performance_report"],
    ("judgment_performance", "new_act_with_guidance_and_second_report"): [
        "performance_report", "performance_report"],
    ("judgment_performance", "government_lost"): ["performance_report"],
    ("legality_review", "legal_directly"): ["legality_opinion"],
    ("legality_review", "consulted_then_illegal"): ["legality_opinion"],
    ("legality_review", "two_rounds"): ["legality_opinion", "legality_opinion"],
    ("legality_review", "important_case_consulted"): ["legality_opinion"],
    ("loss_rate_interview", "with_statement"): ["interview_record"],
    ("loss_rate_interview", "without_statement"): ["interview_record"],
    ("loss_review", "single_unit"): REVIEW,
    ("loss_review", "co_defendants"): [
        "loss_review_report", "loss_review_report", "rectification_report",
        "rectification_report", "bureau_analysis_report"],
    ("loss_review", "government_lost"): REVIEW,
    ("loss_review", "government_and_agency_lost"): REVIEW,  # the acting unit is the agency
    ("loss_review", "approval_returned_once"): ["loss_review_report", *REVIEW],
    ("loss_review", "bureau_returned_once"): [*REVIEW, "bureau_analysis_report"],
    ("major_enforcement_decision", "passed_first_time"): [],
    ("major_enforcement_decision", "failed_then_passed"): [],
    ("major_enforcement_decision", "failed_then_abandoned"): [],
    ("post_judgment_explanation", "agency_explains_accepted"): ["explanation_record"],
    ("post_judgment_explanation", "center_explains_followed_up"): ["explanation_record"],
    ("pre_filing_notice", "notified_in_time"): ["pre_filing_notice_letter"],
    ("self_correction", "voluntary_revoke"): ["self_correction_decision"],
    ("self_correction", "not_mandatory_declined"): [],
    ("self_correction", "mandatory_declined_then_corrected"): ["self_correction_decision"],
    ("self_correction", "from_loss_warning"): ["self_correction_decision"],
}  # fmt: skip


def test_every_sample_path_says_which_documents_it_renders():
    assert sorted(PATH_DOCUMENTS) == sorted(SAMPLE_PATHS)


@pytest.mark.parametrize(("process_id", "path_name"), SAMPLE_PATHS)
def test_every_branch_runs_through_the_service_layer(db, settings, process_id, path_name):
    from tests.test_document_contents import CONTENT

    sample = load(process_id)
    data = PathData(sample["paths"][path_name])
    instance_id = _start_with_sample(db, process_id, data, sample)
    done = []
    for _ in range(30):
        tasks = _open_tasks(db, instance_id)
        if not tasks:
            break
        task = tasks[0]
        who = _worker(task, db)
        complete(db, settings, who, task.id, data.next(task.bpmn_id))
        done.append((task.bpmn_id, who))
    with db.read() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance.status == "completed", done
        docs = list(
            session.scalars(
                select(Document).where(Document.instance_id == instance_id).order_by(Document.id)
            )
        )
    assert data.counts() == data.expected_counts()
    assert [doc.kind for doc in docs] == PATH_DOCUMENTS[(process_id, path_name)]
    case_no = {**sample["start"], **data.start()}.get("court_case_no")
    for doc in docs:  # each a .docx headed by its number and titled as its kind
        paragraphs = [p.text for p in Docx(io.BytesIO(doc.content)).paragraphs]
        assert [p for p in paragraphs if p.strip()][1:3] == [doc.doc_no, CONTENT[doc.kind][1].title]
        assert len(doc.sha256) == 64
        if case_no:
            assert case_no in "\n".join(paragraphs), doc.kind


def test_start_permission_follows_the_start_lane(db):
    with db.read() as session:
        agency = {s.process_id for s in processes.startable(session, actor(db, "gtzy"))}
        bureau = {s.process_id for s in processes.startable(session, actor(db, "bureau"))}
        auditor = processes.startable(session, actor(db, "auditor"))
    assert {"self_correction", "major_enforcement_decision"} <= agency
    assert "enforcement_supervision" not in agency
    assert "enforcement_supervision" in bureau
    assert "self_correction" not in bureau
    assert "pre_litigation_mediation" not in agency | bureau  # started from a registered case
    assert auditor == []
    with pytest.raises(Forbidden):
        start(db, "enforcement_supervision", "gtzy")


def _run_until(db, settings, instance_id: int, stop_at: str, path: PathData) -> TaskRecord:
    for _ in range(20):
        (task,) = _open_tasks(db, instance_id)
        if task.bpmn_id == stop_at:
            return task
        complete(db, settings, _worker(task, db), task.id, path.next(task.bpmn_id))
    raise AssertionError(stop_at)


def test_failed_legal_review_sends_the_draft_back(db, settings):
    sample = load("major_enforcement_decision")
    path = PathData(sample["paths"]["failed_then_passed"])
    instance_id = start(db, "major_enforcement_decision", "gtzy")
    review = _run_until(db, settings, instance_id, "legal_review", path)
    assert review.assignee_id is not None  # the unit's designated reviewer
    complete(db, settings, "gtzy_reviewer", review.id, path.next("legal_review"))  # failed
    (revise,) = _open_tasks(db, instance_id)
    assert revise.bpmn_id == "revise_draft"


def test_service_refuses_a_decision_task_without_a_passed_review(db, settings):
    """Even if a hand-edited diagram put the decision first, the service refuses it."""
    from app.services.execution import gates

    instance_id = start(db, "major_enforcement_decision", "gtzy")
    (task,) = _open_tasks(db, instance_id)
    with db.write() as session:
        fake = session.get(TaskRecord, task.id)
        fake.bpmn_id = "make_decision"  # as if the diagram led straight to the decision
        with pytest.raises(Conflict, match="法制审核"):
            gates.check(session, "major_enforcement_decision", fake)
        session.rollback()


def test_hand_edited_diagram_cannot_skip_the_review(db, settings):
    """A new version whose gateway always leads to the decision: the service still refuses."""
    from app.config import ROOT
    from app.errors import Conflict
    from app.services.actor import SYSTEM
    from app.services.design import definitions

    xml = (ROOT / "processes" / "major_enforcement_decision.bpmn").read_text(encoding="utf-8")
    assert 'review_result == "passed"' in xml
    edited = xml.replace('review_result == "passed"', "True")
    with db.write() as session:
        version = definitions.deploy(session, SYSTEM, edited.encode(), settings.forms_dir).version
    assert version == 2
    sample = load("major_enforcement_decision")
    path = PathData(sample["paths"]["failed_then_passed"])
    instance_id = start(db, "major_enforcement_decision", "gtzy")
    review = _run_until(db, settings, instance_id, "legal_review", path)
    complete(db, settings, "gtzy_reviewer", review.id, path.next("legal_review"))  # failed
    (decision,) = _open_tasks(db, instance_id)
    assert decision.bpmn_id == "make_decision"  # the edited diagram let it through
    with pytest.raises(Conflict, match="法制审核"):
        complete(db, settings, "gtzy_head", decision.id, path.next("make_decision"))
    assert _open_tasks(db, instance_id)[0].status == "open"


def test_a_version_without_the_review_task_cannot_be_deployed(db, settings):
    from app.config import ROOT
    from app.errors import InvalidInput
    from app.services.actor import SYSTEM
    from app.services.design import definitions

    xml = (ROOT / "processes" / "major_enforcement_decision.bpmn").read_text(encoding="utf-8")
    edited = (
        xml.replace('id="legal_review"', 'id="legal_check"')
        .replace('"legal_review"', '"legal_check"')
        .replace(">legal_review<", ">legal_check<")
    )
    with pytest.raises(InvalidInput) as caught, db.write() as session:
        definitions.deploy(session, SYSTEM, edited.encode(), settings.forms_dir)
    assert "legal_review" in caught.value.errors


def test_only_the_designated_reviewer_sees_the_review(db, settings):
    from app.services.reporting import queries

    sample = load("major_enforcement_decision")
    path = PathData(sample["paths"]["passed_first_time"])
    instance_id = start(db, "major_enforcement_decision", "gtzy")
    _run_until(db, settings, instance_id, "legal_review", path)
    with db.read() as session:
        assert [t.bpmn_id for t in queries.inbox(session, actor(db, "gtzy_reviewer"))] == [
            "legal_review"
        ]
        assert queries.inbox(session, actor(db, "gtzy")) == []
        assert queries.inbox(session, actor(db, "gtzy_head")) == []


def test_decision_task_is_for_the_head_only(db, settings):
    sample = load("major_enforcement_decision")
    path = PathData(sample["paths"]["passed_first_time"])
    instance_id = start(db, "major_enforcement_decision", "gtzy")
    decision = _run_until(db, settings, instance_id, "make_decision", path)
    with pytest.raises(Forbidden):
        complete(db, settings, "gtzy", decision.id, path.next("make_decision"))
    complete(db, settings, "gtzy_head", decision.id, path.next("make_decision"))


def test_supervision_goes_to_the_chosen_unit_with_a_working_day_deadline(db, settings):
    sample = load("enforcement_supervision")
    path = PathData(sample["paths"]["suggestion_accepted"])
    instance_id = start(db, "enforcement_supervision", "bureau")
    (first,) = _open_tasks(db, instance_id)
    complete(db, settings, "bureau", first.id, {**path.next("supervise"), "target_unit": "SCJG"})
    (issue,) = _open_tasks(db, instance_id)
    complete(
        db, settings, "bureau", issue.id,
        {**path.next("issue_suggestion"), "answer_days": 3},
    )  # fmt: skip
    (answer,) = _open_tasks(db, instance_id)
    assert answer.bpmn_id == "answer_rectification"
    assert answer.unit.code == "SCJG"
    assert answer.due_at.isoformat().startswith("2026-10-10T15:59")  # 3 working days, make-up Sat
    with db.read() as session:
        doc = session.scalar(select(Document).where(Document.instance_id == instance_id))
    assert doc.kind == "supervision_suggestion"
    with pytest.raises(Forbidden):
        complete(db, settings, "gtzy", answer.id, path.next("answer_rectification"))


def test_late_rectification_answer_escalates_to_bureau_and_head(db, settings, clock):
    from app.models import Reminder
    from app.services.execution import timer_pass

    sample = load("enforcement_supervision")
    path = PathData(sample["paths"]["suggestion_accepted"])
    instance_id = start(db, "enforcement_supervision", "bureau")
    _run_until(db, settings, instance_id, "answer_rectification", path)
    clock.set("2026-12-01T09:00:00+08:00")
    assert timer_pass.run_pass(db).fired == 1
    with db.read() as session:
        targets = sorted((r.unit.code, r.role or "") for r in session.scalars(select(Reminder)))
    assert targets == [("GTZY", "agency_head"), ("SFJ", "")]


def test_mandatory_self_correction_cannot_end_without_a_decision(db, settings):
    sample = load("self_correction")
    path = PathData(sample["paths"]["mandatory_declined_then_corrected"])
    instance_id = start(db, "self_correction", "gtzy")
    (first,) = _open_tasks(db, instance_id)
    complete(db, settings, "gtzy", first.id, path.next("initiate"))
    (decide,) = _open_tasks(db, instance_id)
    declined = path.next("decide_correction")
    assert declined["correction_measure"] == "不予纠正"
    complete(db, settings, "gtzy_head", decide.id, declined)
    (again,) = _open_tasks(db, instance_id)
    assert again.bpmn_id == "decide_correction"  # back: the correction is mandatory
    with db.read() as session:
        assert session.get(ProcessInstance, instance_id).status == "running"


def test_attachments_are_stored_outside_the_web_root_and_listed(db, settings):
    sample = load("major_enforcement_decision")
    path = PathData(sample["paths"]["passed_first_time"])
    instance_id = start(db, "major_enforcement_decision", "gtzy")
    (draft,) = _open_tasks(db, instance_id)
    complete(db, settings, "gtzy", draft.id, path.next("draft_decision"))
    with db.read() as session:
        done = session.get(TaskRecord, draft.id)
    (ref,) = done.data["materials"]
    assert ref["name"] == "材料.pdf" and ref["id"] > 0
    stored = list((settings.data_dir / "attachments").iterdir())
    assert len(stored) == 1 and stored[0].read_bytes() == PDF.content
    assert "材料" not in stored[0].name  # random storage name


def test_bad_attachment_type_is_a_field_error_and_changes_nothing(db, settings):
    from app.errors import InvalidInput

    sample = load("major_enforcement_decision")
    data = PathData(sample["paths"]["passed_first_time"]).next("draft_decision")
    data.pop("materials")
    instance_id = start(db, "major_enforcement_decision", "gtzy")
    (draft,) = _open_tasks(db, instance_id)
    with pytest.raises(InvalidInput) as caught, db.write() as session:
        completion.complete_task(
            session, actor(db, "gtzy"), draft.id, data,
            {"materials": [attachments.Upload("evil.exe", b"MZ...")]},
            settings.data_dir / "attachments",
        )  # fmt: skip
    assert "materials" in caught.value.errors
    assert not (settings.data_dir / "attachments").exists()
    assert _open_tasks(db, instance_id)[0].id == draft.id
