"""Reading is decided per task: the leaks found by trying the product as an attacker (issue 18),
each through the page, the API and the dossier, plus the rule's edges (defaults for diagrams
that name no readers, the data diff, the task page, deploy checks, the command-line export).

The whole matrix (every process × task × demo user) is ``test_reading_matrix``."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.config import ROOT
from app.errors import InvalidInput
from app.models import ProcessInstance, TaskRecord
from app.services.actor import SYSTEM
from app.services.design import definitions
from tests.reading import Done, Run, Viewer, continue_path, run_path

pytestmark = pytest.mark.both_databases


def _open(db, instance_id: int) -> list[TaskRecord]:
    with db.read() as session:
        return list(
            session.scalars(
                select(TaskRecord).where(
                    TaskRecord.instance_id == instance_id, TaskRecord.status == "open"
                )
            )
        )


def _by(run: Run, bpmn_id: str, unit: str | None = None) -> list[Done]:
    return [d for d in run.done if d.bpmn_id == bpmn_id and (unit is None or d.unit == unit)]


def _assert_reads(viewer: Viewer, run: Run, readable: list[Done], hidden: list[Done]) -> None:
    """On the instance page, in the API and in the dossier: the readable tasks' data and
    documents are there, the hidden ones' are not (audit events of the dossier included)."""
    for surface in (viewer.page, viewer.instance_json, viewer.dossier):
        seen = surface(run.instance_id)
        assert seen.status == 200, (viewer.username, surface.__name__, seen.status)
        for done in readable:
            assert done.marker in seen.text, (viewer.username, surface.__name__, done.bpmn_id)
            assert set(done.documents) <= seen.documents, (viewer.username, surface.__name__)
        for done in hidden:
            assert done.marker not in seen.text, (viewer.username, surface.__name__, done.bpmn_id)
            assert not set(done.documents) & seen.documents, (viewer.username, surface.__name__)
    for done in hidden:
        for document_id in done.documents:
            assert viewer.document(document_id) == (404, 404), (viewer.username, done.bpmn_id)
    for done in readable:
        for document_id in done.documents:
            assert viewer.document(document_id) == (200, 200), (viewer.username, done.bpmn_id)


def test_a_co_defendant_reads_its_own_review_but_not_the_other_agencys(app, db, settings):
    """After a judgment against GTZY and SCJG, each agency's review, its head's sign-off and
    its rectification (with their documents) stay inside that agency and the bureau."""
    run = run_path(db, settings, "loss_review", "co_defendants")
    steps = ("write_review", "approve_review", "submit_rectification")
    gtzy = [d for s in steps for d in _by(run, s, "GTZY")]
    scjg = [d for s in steps for d in _by(run, s, "SCJG")]
    assert len(gtzy) == len(scjg) == 3
    assert any(d.documents for d in gtzy) and any(d.documents for d in scjg)
    for username in ("scjg", "scjg_head", "scjg_lawyer", "scjg_reviewer"):
        _assert_reads(Viewer(app, db, username), run, readable=scjg, hidden=gtzy)
    for username in ("gtzy", "gtzy_head"):
        _assert_reads(Viewer(app, db, username), run, readable=gtzy, hidden=scjg)
    for username in ("bureau", "bureau_head", "auditor"):
        _assert_reads(Viewer(app, db, username), run, readable=gtzy + scjg, hidden=[])


def _with_feedback(db, settings) -> tuple[Run, Run]:
    """Mechanism 10 with fault found: the determination and transfer, then the discipline
    organ's feedback (an instance the transfer starts)."""
    fault = run_path(db, settings, "fault_determination", "fault_transferred")
    with db.read() as session:
        started = session.scalar(
            select(ProcessInstance.id).where(
                ProcessInstance.case_id == fault.case_id,
                ProcessInstance.process_id == "discipline_feedback",
            )
        )
    feedback = continue_path(db, settings, "discipline_feedback", "feedback_recorded", started)
    return fault, feedback


def test_fault_findings_stay_with_the_bureau_its_head_discipline_and_auditors(app, db, settings):
    """The bureau's determination of subjective fault, its transfer letter and the discipline
    organ's feedback are not read by the agency whose staff they name (its head, legal adviser
    and designated reviewer included), nor by the center or a district leader; the agency, as
    the case's agency, still opens both instances."""
    fault, feedback = _with_feedback(db, settings)
    assert [d.bpmn_id for d in fault.done] == ["determine_fault", "issue_transfer"]
    assert fault.done[1].documents and [d.unit for d in feedback.done] == ["JW"]
    for username in ("gtzy", "gtzy_head", "gtzy_lawyer", "gtzy_reviewer", "center", "leader",
                     "admin", "owner"):  # fmt: skip
        viewer = Viewer(app, db, username)
        _assert_reads(viewer, fault, readable=[], hidden=fault.done)
        _assert_reads(viewer, feedback, readable=[], hidden=feedback.done)
    for username in ("bureau", "bureau_head", "auditor"):
        viewer = Viewer(app, db, username)
        _assert_reads(viewer, fault, readable=fault.done, hidden=[])
        _assert_reads(viewer, feedback, readable=feedback.done, hidden=[])
    _assert_reads(Viewer(app, db, "jw"), feedback, readable=feedback.done, hidden=[])


def test_a_hidden_step_shows_who_did_it_and_when_but_not_its_data(app, db, settings):
    run = run_path(db, settings, "fault_determination", "fault_transferred")
    (determination,) = _by(run, "determine_fault")
    page = Viewer(app, db, "gtzy").page(run.instance_id)
    assert determination.completed_by == "bureau"  # shown as the person, not the login name
    assert "认定是否存在主观过错" in page.text and "李强（洪泽区司法局）" in page.text
    assert "无权查看" in page.text and determination.marker not in page.text
    body = json.loads(Viewer(app, db, "gtzy").instance_json(run.instance_id).text)
    hidden = next(t for t in body["tasks"] if t["id"] == determination.task_id)
    assert hidden["readable"] is False and hidden["data"] is None
    assert hidden["completed_by"] == determination.completed_by


def test_a_download_is_audited_without_naming_a_hidden_document_to_others(app, db, settings):
    """Reading a document is an audit event of the instance; to someone who may not read the
    document, the event shows that it happened, not which file."""
    run = run_path(db, settings, "fault_determination", "fault_transferred")
    (letter,) = _by(run, "issue_transfer")[0].documents
    assert Viewer(app, db, "bureau_head").document(letter) == (200, 200)

    def reads_of_the_letter(username: str) -> list:
        zipped = Viewer(app, db, username).web.get(f"/instances/{run.instance_id}/dossier.zip")
        with zipfile.ZipFile(io.BytesIO(zipped.data)) as zf:
            events = json.loads(zf.read("history.json"))["audit_events"]
        return [e["detail"] for e in events if e["action"] == "document.read"]

    assert {d["document_id"] for d in reads_of_the_letter("bureau")} == {letter}
    assert reads_of_the_letter("gtzy_head") == [None, None]  # the head's web and API downloads


def test_the_task_page_and_task_api_hide_a_completed_task_the_viewer_may_not_read(
    app, db, settings
):
    """The center may open any task (it chases deadlines), but not read an agency's review."""
    run = run_path(db, settings, "loss_review", "co_defendants")
    (approval,) = _by(run, "approve_review", "SCJG")
    center = Viewer(app, db, "center")
    page = center.web.get(f"/tasks/{approval.task_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "无权查看" in text and approval.marker not in text
    body = center.api.get(f"/api/v1/tasks/{approval.task_id}", headers=center.headers).get_json()
    assert body["readable"] is False and body["data"] is None
    bureau = Viewer(app, db, "bureau")
    text = bureau.web.get(f"/tasks/{approval.task_id}").get_data(as_text=True)
    assert approval.marker in text
    body = bureau.api.get(f"/api/v1/tasks/{approval.task_id}", headers=bureau.headers).get_json()
    assert body["readable"] is True and approval.marker in json.dumps(body, ensure_ascii=False)


def _draft_read_by_the_bureau_only(db, settings) -> None:
    """A version of mechanism 2a whose draft names the bureau as its only reader."""
    xml = (ROOT / "processes" / "major_enforcement_decision.bpmn").read_text(encoding="utf-8")
    anchor = 'value="major_enforcement_decision/draft_decision.uischema.json" />'
    assert anchor in xml
    edited = xml.replace(
        anchor, anchor + '\n          <spiffworkflow:property name="readers" value="bureau" />'
    )
    with db.write() as session:
        definitions.deploy(session, SYSTEM, edited.encode(), settings.forms_dir)


def test_a_hidden_step_is_not_shown_as_the_before_value_of_a_later_one(app, db, settings):
    """The data diff of a step is taken against the steps the viewer may read: a value a
    hidden step submitted shows neither in its row nor as the "原值" of the step that
    replaced it."""
    _draft_read_by_the_bureau_only(db, settings)
    draft_text, revised_text = "拟没收违法所得并罚款五万元", "拟没收违法所得并罚款三万元"
    run = run_path(
        db, settings, "major_enforcement_decision", "failed_then_passed",
        draft_decision={"proposed_decision": draft_text},
        revise_draft={"proposed_decision": revised_text},
    )  # fmt: skip

    def revise_step(username: str) -> dict:
        response = Viewer(app, db, username).web.get(f"/instances/{run.instance_id}/dossier.zip")
        with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
            steps = json.loads(zf.read("history.json"))["steps"]
        return next(s for s in steps if s["bpmn_id"] == "revise_draft")

    assert revise_step("bureau")["changed"]["proposed_decision"]["before"] == draft_text
    hidden = revise_step("gtzy_head")  # own unit, but the edited draft names only the bureau
    assert "proposed_decision" not in hidden["changed"] and "proposed_decision" in hidden["added"]
    page = Viewer(app, db, "gtzy_head").page(run.instance_id).text
    assert revised_text in page and draft_text not in page


def test_a_form_is_not_prefilled_with_what_a_hidden_step_wrote(app, db, settings):
    """Who works a task sees its form prefilled from process data, less what a step they may not
    read wrote there."""
    _draft_read_by_the_bureau_only(db, settings)
    draft_text = "拟没收违法所得并罚款五万元"
    run = run_path(
        db, settings, "major_enforcement_decision", "failed_then_passed", until="revise_draft",
        draft_decision={"proposed_decision": draft_text},
    )  # fmt: skip
    revise = next(t for t in _open(db, run.instance_id) if t.bpmn_id == "revise_draft")
    assert revise.prefill and revise.prefill["proposed_decision"] == draft_text
    head = Viewer(app, db, "gtzy_head")  # may do the revision, may not read the draft
    text = head.web.get(f"/tasks/{revise.id}").get_data(as_text=True)
    assert 'name="proposed_decision"' in text and draft_text not in text
    drafter = Viewer(app, db, "gtzy")  # wrote the draft: reads it
    assert draft_text in drafter.web.get(f"/tasks/{revise.id}").get_data(as_text=True)


def test_a_diagram_that_names_no_readers_keeps_discipline_records_to_the_bureau(app, db, settings):
    """Mechanism 10 deployed without ``readers`` (as versions before the property were) still
    hides its findings and the discipline organ's feedback from the agency, the center and
    leaders: accountability processes default to the bureau, its head and discipline."""
    for process_id in ("fault_determination", "discipline_feedback"):
        xml = (ROOT / "processes" / f"{process_id}.bpmn").read_text(encoding="utf-8")
        lines = [line for line in xml.splitlines(keepends=True) if 'name="readers"' not in line]
        assert len(lines) < len(xml.splitlines())
        with db.write() as session:
            definitions.deploy(session, SYSTEM, "".join(lines).encode(), settings.forms_dir)
    fault, feedback = _with_feedback(db, settings)
    for username in ("gtzy_lawyer", "center", "leader"):
        _assert_reads(Viewer(app, db, username), fault, readable=[], hidden=fault.done)
        _assert_reads(Viewer(app, db, username), feedback, readable=[], hidden=feedback.done)
    _assert_reads(Viewer(app, db, "bureau_head"), fault, readable=fault.done, hidden=[])
    _assert_reads(Viewer(app, db, "jw"), feedback, readable=feedback.done, hidden=[])


def test_a_co_defendants_review_stays_hidden_under_a_diagram_without_readers(app, db, settings):
    """The lane default alone (no ``readers``) keeps one agency's work from another."""
    xml = (ROOT / "processes" / "loss_review.bpmn").read_text(encoding="utf-8")
    lines = [line for line in xml.splitlines(keepends=True) if 'name="readers"' not in line]
    with db.write() as session:
        definitions.deploy(session, SYSTEM, "".join(lines).encode(), settings.forms_dir)
    run = run_path(db, settings, "loss_review", "co_defendants")
    gtzy = [d for d in run.done if d.unit == "GTZY"]
    scjg = [d for d in run.done if d.unit == "SCJG"]
    _assert_reads(Viewer(app, db, "scjg_head"), run, readable=scjg, hidden=gtzy)


def test_unknown_readers_are_refused_at_deploy_naming_the_task(db, settings):
    xml = (ROOT / "processes" / "loss_review.bpmn").read_text(encoding="utf-8")
    edited = xml.replace('value="own_unit,bureau,bureau_head,leader"', 'value="own_unit,everyone"')
    assert edited != xml
    with pytest.raises(InvalidInput) as caught, db.write() as session:
        definitions.deploy(session, SYSTEM, edited.encode(), settings.forms_dir)
    assert any("everyone" in m for m in caught.value.errors["write_review"])


def test_the_command_line_export_writes_what_the_named_user_may_read(app, db, settings, tmp_path):
    run = run_path(db, settings, "loss_review", "co_defendants")
    gtzy = [d for d in run.done if d.unit == "GTZY"]
    scjg = [d for d in run.done if d.unit == "SCJG"]
    runner = CliRunner()
    for who, readable, hidden in (("scjg", scjg, gtzy), (None, gtzy + scjg, [])):
        out = tmp_path / f"{who}.zip"
        args = ["export", "instance", str(run.instance_id), "--out", str(out)]
        result = runner.invoke(main, args + (["--as", who] if who else []))
        assert result.exit_code == 0, result.output
        with zipfile.ZipFile(out) as zf:
            history = zf.read("history.json").decode()
        assert all(d.marker in history for d in readable)
        assert not any(d.marker in history for d in hidden)
    result = runner.invoke(main, ["export", "instance", str(run.instance_id), "--as", "nobody"])
    assert result.exit_code != 0 and "nobody" in result.output
