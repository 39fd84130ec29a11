"""Mechanism 4 (法院诉前移送调处) through the service layer."""

from __future__ import annotations

import io

import docx
import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, InvalidInput
from app.models import AuditEvent, Document, ProcessInstance, Reminder, TaskRecord
from app.services.reporting import queries
from tests.helpers import FORM_DATA, actor, complete, open_task, register, step

pytestmark = pytest.mark.both_databases


def _documents(db, instance_id):
    with db.read() as session:
        return list(session.scalars(select(Document).where(Document.instance_id == instance_id)))


def _text(doc: Document) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(doc.content)).paragraphs)


def test_agreement_path_ends_with_signed_agreement_document(db, clock):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    clock.set("2026-10-09T09:00:00+08:00")
    step(db, instance_id, "gtzy", "agency_reply")
    step(db, instance_id, "center", "schedule_mediation")
    step(db, instance_id, "center", "record_outcome")
    step(db, instance_id, "center", "sign_agreement")
    with db.read() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance.status == "completed"
    kinds = [d.kind for d in _documents(db, instance_id)]
    assert kinds == ["assignment_notice", "mediation_agreement"]
    agreement = _documents(db, instance_id)[1]
    text = _text(agreement)
    assert "行政争议调处协议" in text
    assert "乙方按新标准补足补偿款" in text
    assert "张某某" in text


def test_assignment_notice_tells_agency_its_reply_date(db):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    notice = _documents(db, instance_id)[0]
    text = _text(notice)
    assert notice.doc_no == "洪调交〔2026〕7号"
    assert "洪泽区自然资源和规划局" in text
    # 3 working days after 2026-09-30: 10-08, 10-09 and the make-up Saturday 10-10.
    assert "2026年10月10日" in text


def test_termination_path_renders_notice_and_letter_to_court(db):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    step(db, instance_id, "gtzy", "agency_reply")
    step(db, instance_id, "center", "schedule_mediation")
    step(db, instance_id, "center", "record_outcome", outcome="termination")
    step(db, instance_id, "center", "terminate_mediation")
    docs = _documents(db, instance_id)
    assert [d.kind for d in docs] == [
        "assignment_notice",
        "termination_notice",
        "termination_letter",
    ]
    assert "洪泽区人民法院" in _text(docs[2])


def test_agency_task_goes_to_the_case_agency_only(db):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    with db.read() as session:
        mine = queries.inbox(session, actor(db, "gtzy"))
        other = queries.inbox(session, actor(db, "scjg"))
        center = queries.inbox(session, actor(db, "center"))
    assert [t.bpmn_id for t in mine] == ["agency_reply"]
    assert other == []
    assert center == []
    with pytest.raises(Forbidden):
        complete(db, "scjg", mine[0].id, FORM_DATA["agency_reply"])


def test_agency_deadline_is_three_working_days_after_the_notice(db):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    task = open_task(db, instance_id)
    assert task.due_at.isoformat() == "2026-10-10T15:59:59.999999+00:00"  # end of 10-10 +08:00
    assert not task.provisional
    assert "10-01至10-07" in task.due_rule


def test_invalid_form_changes_nothing(db):
    instance_id = register(db)
    task = open_task(db, instance_id)
    with db.read() as session:
        events_before = session.scalar(select(func.count(AuditEvent.id)))
        state_before = session.get(ProcessInstance, instance_id).state
    with pytest.raises(InvalidInput) as caught:
        complete(db, "center", task.id, {"notice_no": "", "notice_date": "2026-10-01"})
    assert "materials_summary" in caught.value.errors
    assert "notice_no" in caught.value.errors
    assert "notice_date" in caught.value.errors[""][0]  # no longer a field: the system records it
    with db.read() as session:
        assert session.scalar(select(func.count(AuditEvent.id))) == events_before
        assert session.get(ProcessInstance, instance_id).state == state_before
        assert session.get(TaskRecord, task.id).status == "open"


def test_completed_task_cannot_be_completed_again(db):
    instance_id = register(db)
    task = step(db, instance_id, "center", "register_materials")
    with pytest.raises(Conflict):
        complete(db, "center", task.id, FORM_DATA["register_materials"])


def test_auditor_cannot_complete_tasks(db):
    instance_id = register(db)
    task = open_task(db, instance_id)
    with pytest.raises(Forbidden):
        complete(db, "auditor", task.id, FORM_DATA["register_materials"])


def test_missed_deadline_marks_overdue_and_reminds_center_and_agency_head(db, clock):
    from app.services.execution import timer_pass

    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    clock.set("2026-10-10T23:00:00+08:00")  # still inside the make-up working day
    assert timer_pass.run_pass(db).fired == 0
    clock.set("2026-10-11T00:00:01+08:00")
    report = timer_pass.run_pass(db)
    assert report.fired == 1
    assert timer_pass.run_pass(db).fired == 0  # fires once
    with db.read() as session:
        reminders = list(session.scalars(select(Reminder)))
        targets = sorted((r.unit.code, r.role or "") for r in reminders)
        agency_inbox = queries.inbox(session, actor(db, "gtzy"))
    assert targets == [("GTZY", "agency_head"), ("TCZX", "")]
    assert queries.is_overdue(agency_inbox[0].due_at)
    # the non-interrupting timer leaves the task open for the agency
    assert agency_inbox[0].bpmn_id == "agency_reply"
