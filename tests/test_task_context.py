"""Every task shows what it decides on: the case, the earlier submissions the diagram names (or
the previous task's), earlier rounds of a loop, and only what the reader may read (issue 19.1)."""

from __future__ import annotations

import io
from typing import Any

import docx
import pytest
from sqlalchemy import select

from app.errors import InvalidInput
from app.models import AuditEvent, TaskRecord
from app.services.actor import SYSTEM
from app.services.design import definitions
from app.services.design.context_property import parse_context
from app.services.execution import completion
from app.services.records import attachments
from app.services.reporting import queries, task_context
from tests.conftest import ROOT
from tests.helpers import actor, co_defendant_reviews, open_task, register, step
from tests.samples import PathData, load
from tests.test_mechanisms_service import complete, start
from tests.test_web import login

pytestmark = pytest.mark.both_databases


def _context(db, username: str, task: TaskRecord) -> task_context.TaskContext:
    with db.read() as session:
        task = session.get(TaskRecord, task.id)
        view = queries.instance_view(session, actor(db, username), task.instance_id)
        return task_context.build(session, task, view)


def _shown(context: task_context.TaskContext) -> dict[str, list[dict[str, Any]]]:
    """Section name -> each round's {label: text or file names} ("无权查看" when hidden)."""
    return {
        s.name: [
            {v.label: [f.name for f in v.files] or v.text for v in r.values}
            if r.readable
            else {"无权查看": True}
            for r in s.rounds
        ]
        for s in context.sections
    }


def _run_legality(db, settings, stop_at: list[str]) -> TaskRecord:
    """Run "two_rounds" and return the open task once the sequence of bpmn ids ``stop_at`` has
    been opened (the last one is returned, open)."""
    instance_id = start(db, "legality_review", "gtzy")
    path = PathData(load("legality_review")["paths"]["two_rounds"])
    workers = {"adviser_review": "gtzy_lawyer", "reviewer_opinion": "gtzy_reviewer"}
    opened: list[str] = []
    while True:
        task = open_task(db, instance_id)
        opened.append(task.bpmn_id)
        if opened == stop_at:
            return task
        assert opened == stop_at[: len(opened)], opened
        complete(db, settings, workers.get(task.bpmn_id, "gtzy"), task.id, path.next(task.bpmn_id))


FIRST_ROUND = ["submit_matter", "adviser_review"]
AMEND = [*FIRST_ROUND, "reviewer_opinion", "amend_matter"]
SECOND_ADVISER = [*AMEND, "adviser_review"]


def test_the_legal_adviser_sees_the_matter_and_its_material(db, settings):
    adviser = _run_legality(db, settings, FIRST_ROUND)
    shown = _shown(_context(db, "gtzy_lawyer", adviser))
    matter = shown["提交审查事项"][0]
    assert matter["事项名称"] == "关于张某某政府信息公开申请的答复"
    assert matter["事项类型"] == "政府信息公开"
    assert "不予公开" in matter["事项内容及依据"]
    assert matter["审查材料"] == ["材料.pdf"]
    assert matter["属于败诉重点领域"] == "否"
    assert "matter_type" not in str(shown) and "key_area" not in str(shown)


def test_the_amendment_page_shows_the_opinion_and_the_changes_asked_for(db, settings):
    amend = _run_legality(db, settings, AMEND)
    shown = _shown(_context(db, "gtzy", amend))
    opinion = shown["出具合法性审查意见"][0]
    assert opinion["审查结论"] == "修改后合法"
    assert "删除以过程性信息为由不予公开的表述" in opinion["修改意见"]
    assert shown["提交审查事项"][0]["事项名称"] == "关于张某某政府信息公开申请的答复"
    assert "征收补偿安置方案属于应当主动公开的信息" in shown["法律顾问审核"][0]["审核意见"]


def test_the_second_round_shows_the_first_rounds_and_the_amendment(db, settings):
    adviser = _run_legality(db, settings, SECOND_ADVISER)
    context = _context(db, "gtzy_lawyer", adviser)
    shown = _shown(context)
    assert "已按修改意见" in shown["按审查意见修改后重新提交"][0]["修改说明"]
    assert shown["出具合法性审查意见"][0]["审查结论"] == "修改后合法"
    own = next(s for s in context.sections if s.bpmn_id == "adviser_review")
    assert own.own_rounds and [r.number for r in own.rounds] == [1]
    assert own.rounds[0].values[0].text == "赵律"


def test_without_a_context_property_the_previous_task_and_the_case_are_shown(db):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    reply = open_task(db, instance_id)
    context = _context(db, "gtzy", reply)
    assert ("法院案号", "（2026）苏0813行诉前12号") in context.case_facts
    assert ("原告", "张某某") in context.case_facts
    shown = _shown(context)
    assert list(shown) == ["登记移送材料并发出交办通知书"] or len(shown) == 1
    only = next(iter(shown.values()))[0]
    assert only and all(not key.isascii() for key in only)  # labels, not field keys


def test_a_submission_the_reader_may_not_read_says_so_and_shows_nothing(db, settings):
    gtzy_review, scjg_review = co_defendant_reviews(db, "（2026）苏0813行初91号")
    review = load("loss_review")["paths"]["co_defendants"]
    data = PathData(review)
    complete(db, settings, "scjg", scjg_review.id, data.next("write_review"))
    complete(db, settings, "gtzy", gtzy_review.id, data.next("write_review"))
    with db.read() as session:
        approvals = list(
            session.scalars(
                select(TaskRecord)
                .where(TaskRecord.instance_id == gtzy_review.instance_id,
                       TaskRecord.bpmn_id == "approve_review")
                .order_by(TaskRecord.id)
            )
        )  # fmt: skip
    scjg_approval = next(t for t in approvals if t.unit_id == scjg_review.unit_id)
    # the previous task of the instance is GTZY's review, which SCJG's head may not read
    context = _context(db, "scjg_head", scjg_approval)
    hidden = [r for s in context.sections for r in s.rounds if r.task.id == gtzy_review.id]
    assert hidden and not hidden[0].readable and hidden[0].values == []
    seen_by_bureau = _context(db, "bureau", scjg_approval)
    assert all(r.readable for s in seen_by_bureau.sections for r in s.rounds)


def test_a_material_link_only_for_a_reader_of_the_task_that_uploaded_it(client, db, settings):
    adviser = _run_legality(db, settings, FIRST_ROUND)
    context = _context(db, "gtzy_lawyer", adviser)
    material = context.sections[0].rounds[0].values
    (file_ref,) = next(v for v in material if v.files).files
    login(client, "gtzy_lawyer")
    page = client.get(f"/tasks/{adviser.id}").get_data(as_text=True)
    assert f"/attachments/{file_ref.id}/preview" in page and "事项名称" in page
    preview = client.get(f"/attachments/{file_ref.id}/preview")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    assert "attachment" not in preview.headers.get("Content-Disposition", "")
    assert preview.headers["X-Frame-Options"] == "SAMEORIGIN"
    login(client, "scjg")  # another agency: neither the task nor its material
    assert client.get(f"/attachments/{file_ref.id}/preview").status_code == 404
    assert client.get(f"/attachments/{file_ref.id}").status_code == 404


def test_a_context_naming_an_unknown_task_or_field_is_refused_at_deploy(db, settings):
    xml = (ROOT / "processes" / "legality_review.bpmn").read_text(encoding="utf-8")
    edited = xml.replace(
        'value="submit_matter,amend_matter,reviewer_opinion"',
        'value="submit_matter.titel,amend_mater,reviewer_opinion"',
    )
    assert edited != xml
    with pytest.raises(InvalidInput) as caught, db.write() as session:
        definitions.deploy(session, SYSTEM, edited.encode(), settings.forms_dir)
    problems = caught.value.errors["adviser_review"]
    assert any("amend_mater" in m for m in problems) and any("titel" in m for m in problems)
    with db.write() as session:  # the shipped diagram's contexts are all known
        definitions.deploy(session, SYSTEM, xml.encode(), settings.forms_dir)


def _word(text: str) -> bytes:
    document = docx.Document()
    document.add_heading("决定书（草案）", level=1)
    document.add_paragraph(text)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "条款", "内容"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_word_preview_keeps_text_and_drops_script(client, db, settings):
    instance_id = start(db, "legality_review", "gtzy")
    submit = open_task(db, instance_id)
    path = PathData(load("legality_review")["paths"]["legal_directly"])
    data = {k: v for k, v in path.next("submit_matter").items() if k != "materials"}
    upload = attachments.Upload("草案.docx", _word('<script>alert("x")</script>第一条'))
    with db.write() as session:
        completion.complete_task(
            session, actor(db, "gtzy"), submit.id, data, {"materials": [upload]},
            settings.data_dir / "attachments",
        )  # fmt: skip
    adviser = open_task(db, instance_id)
    (file_ref,) = next(
        v for v in _context(db, "gtzy_lawyer", adviser).sections[0].rounds[0].values if v.files
    ).files
    login(client, "gtzy_lawyer")
    preview = client.get(f"/attachments/{file_ref.id}/preview")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "<h1>决定书（草案）</h1>" in page
    assert "&lt;script&gt;" in page and "<script" not in page and "<table>" in page
    assert "script-src" not in preview.headers["Content-Security-Policy"]
    with db.read() as session:
        reads = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "attachment.read")
        ).all()
    assert [e.detail["attachment_id"] for e in reads] == [file_ref.id]  # the preview is a read


def test_named_fields_narrow_a_task_and_a_loop_shows_its_own_rounds():
    from datetime import UTC, datetime

    def done(task_id: int, bpmn_id: str, minute: int) -> TaskRecord:
        return TaskRecord(
            id=task_id, bpmn_id=bpmn_id, completed_at=datetime(2026, 10, 9, 9, minute, tzinfo=UTC)
        )

    current = TaskRecord(id=9, bpmn_id="adviser_review", completed_at=None)
    earlier = task_context.earlier_tasks(
        current,
        [done(1, "submit_matter", 0), done(2, "adviser_review", 1), done(3, "reviewer_opinion", 2),
         current],
    )  # fmt: skip
    named = parse_context("submit_matter.title,submit_matter.materials,reviewer_opinion")
    order, fields = task_context.selection(current, earlier, named)
    assert order == ["submit_matter", "reviewer_opinion", "adviser_review"]
    assert fields == {
        "submit_matter": {"title", "materials"}, "reviewer_opinion": None, "adviser_review": None
    }  # fmt: skip
    order, _ = task_context.selection(current, earlier, None)  # the default: the previous task
    assert order == ["reviewer_opinion", "adviser_review"]
