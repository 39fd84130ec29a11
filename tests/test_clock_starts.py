"""Every deadline counts from the event the text names, as the system recorded it (issue 17).

The product clock is moved by the ``clock`` fixture; expected dates are worked out by hand from
the 2026 schedule: 国庆节 10-01..10-08 off, 10-10 (Sat) a make-up working day.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app import clock as product_clock
from app.errors import Forbidden, InvalidInput
from app.models import Attachment, AuditEvent, ProcessInstance, TaskRecord, Timer
from app.services.execution import deadlines
from app.services.records import attachments
from tests.helpers import FORM_DATA, actor, complete, open_task, register, step

pytestmark = pytest.mark.both_databases

RECEIPT = attachments.Upload("送达回证.pdf", b"%PDF-1.4 service receipt")


def _due(task: TaskRecord) -> str:
    assert task.due_at is not None
    return product_clock.to_local(task.due_at).date().isoformat()


def _reply_task(db, clock, when: str = "2026-09-30T10:00:00+08:00") -> TaskRecord:
    clock.set(when)
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    return open_task(db, instance_id)


def test_the_agency_reply_counts_from_the_notice_reaching_the_agency(db, clock):
    reply = _reply_task(db, clock)
    assert reply.bpmn_id == "agency_reply"
    # 09-30 + 3 working days (10-01..10-07 off): 10-08, 10-09, 10-10 (make-up Saturday)
    assert _due(reply) == "2026-10-10"
    assert reply.due_rule.startswith("起算：2026-09-30 任务送达本单位（系统记录 10:00）")
    assert reply.due_basis == "text"


def test_an_agency_that_types_an_earlier_date_does_not_move_the_centers_deadline(db, clock):
    reply = _reply_task(db, clock)
    clock.set("2026-10-09T16:30:00+08:00")  # the agency replies on 10-09
    with pytest.raises(InvalidInput) as refused:
        complete(db, "gtzy", reply.id, {**FORM_DATA["agency_reply"], "reply_date": "2026-09-30"})
    assert "reply_date" in refused.value.errors[""][0]  # no such field: nothing to type
    complete(db, "gtzy", reply.id, FORM_DATA["agency_reply"])
    schedule = open_task(db, reply.instance_id)
    assert schedule.bpmn_id == "schedule_mediation"
    # 3 working days after the reply reached the center (10-09): 10-10, 10-12, 10-13
    assert _due(schedule) == "2026-10-13"
    assert schedule.due_rule.startswith(
        "起算：2026-10-09 “确定责任领导、联络人及初步调处方案”提交（系统记录 16:30）"
    )


def test_a_paper_service_recorded_by_the_center_moves_the_start(db, settings, clock):
    reply = _reply_task(db, clock)
    clock.set("2026-10-09T11:00:00+08:00")
    with db.write() as session:
        deadlines.record_service.within(
            session, actor(db, "center"), reply.id, "2026-10-08", "送达回证", [RECEIPT],
            storage=settings.data_dir / "attachments",
        )  # fmt: skip
    served = open_task(db, reply.instance_id)
    # served on 10-08 instead of 09-30: 10-09, 10-10 (make-up), 10-12
    assert _due(served) == "2026-10-12"
    assert served.due_rule.startswith("起算：2026-10-08 送达（送达回证，洪泽区行政争议调处中心")
    assert "录入）" in served.due_rule
    with db.read() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "deadline.serve"))
        assert event is not None and event.actor == "center"
        assert event.detail["served_on"] == "2026-10-08"
        (evidence,) = session.scalars(
            select(Attachment).where(Attachment.task_record_id == reply.id)
        )
        assert evidence.name == "送达回证.pdf"


def test_a_later_service_gives_the_agency_its_full_period(db, settings, clock):
    reply = _reply_task(db, clock)
    clock.set("2026-10-13T09:00:00+08:00")
    with db.write() as session:
        deadlines.record_service.within(
            session, actor(db, "center"), reply.id, "2026-10-13", "送达回证", [RECEIPT],
            storage=settings.data_dir / "attachments",
        )  # fmt: skip
    # served on 10-13 (Tue): 10-14, 10-15, 10-16
    assert _due(open_task(db, reply.instance_id)) == "2026-10-16"


@pytest.mark.parametrize(
    ("served_on", "field", "message"),
    [
        ("2026-10-20", "served_on", "送达日期不能晚于今天"),
        ("2026-09-29", "served_on", "不能早于 2026-09-30"),
        ("", "served_on", "请填写送达日期"),
    ],
)
def test_a_service_date_is_bounded_and_refusals_change_nothing(
    db, settings, clock, served_on, field, message
):
    reply = _reply_task(db, clock)
    clock.set("2026-10-09T11:00:00+08:00")
    with db.read() as session:
        state = session.get(ProcessInstance, reply.instance_id).state
    with pytest.raises(InvalidInput) as refused, db.write() as session:
        deadlines.record_service.within(
            session, actor(db, "center"), reply.id, served_on, "送达回证", [RECEIPT],
            storage=settings.data_dir / "attachments",
        )  # fmt: skip
    assert any(message in m for m in refused.value.errors[field])
    with db.read() as session:
        assert session.get(ProcessInstance, reply.instance_id).state == state
        assert session.scalar(select(func.count(Attachment.id))) == 0
    assert _due(open_task(db, reply.instance_id)) == "2026-10-10"


def test_a_service_needs_its_evidence_and_names_every_problem(db, settings, clock):
    reply = _reply_task(db, clock)
    with pytest.raises(InvalidInput) as refused, db.write() as session:
        deadlines.record_service.within(session, actor(db, "center"), reply.id, "明天", "", [])
    assert set(refused.value.errors) == {"served_on", "evidence", "files"}


def test_another_unit_may_not_record_the_agencys_service(db, settings, clock):
    reply = _reply_task(db, clock)
    with pytest.raises(Forbidden), db.write() as session:
        deadlines.record_service.within(
            session, actor(db, "scjg"), reply.id, "2026-09-30", "送达回证", [RECEIPT],
            storage=settings.data_dir / "attachments",
        )  # fmt: skip


def test_a_deadline_from_a_submission_cannot_be_moved_by_a_service(db, settings, clock):
    reply = _reply_task(db, clock)
    complete(db, "gtzy", reply.id, FORM_DATA["agency_reply"])
    schedule = open_task(db, reply.instance_id)
    with pytest.raises(InvalidInput) as refused, db.write() as session:
        deadlines.record_service.within(
            session, actor(db, "center"), schedule.id, "2026-09-30", "送达回证", [RECEIPT],
            storage=settings.data_dir / "attachments",
        )  # fmt: skip
    assert "不是自收到之日起算" in refused.value.message


def test_a_served_start_survives_suspension_extension_and_a_new_calendar(db, settings, clock):
    reply = _reply_task(db, clock)
    clock.set("2026-10-09T11:00:00+08:00")
    center = actor(db, "center")
    storage = settings.data_dir / "attachments"
    deadlines.record_service(db, center, reply.id, "2026-10-09", "送达回证", [RECEIPT],
                             storage=storage)  # fmt: skip
    assert _due(open_task(db, reply.instance_id)) == "2026-10-13"  # 10-10, 10-12, 10-13
    deadlines.extend(db, center, reply.id, 2, "材料较多")
    assert _due(open_task(db, reply.instance_id)) == "2026-10-15"
    deadlines.suspend(db, center, reply.id, "当事人申请暂缓")
    clock.set("2026-10-19T09:00:00+08:00")
    deadlines.resume(db, center, reply.id, "恢复调处")
    # suspended on 10-09 with 5 working days left (10-10, 10-12 … 10-15), resumed on 10-19
    task = open_task(db, reply.instance_id)
    assert _due(task) == "2026-10-26"
    assert task.due_rule.startswith("起算：2026-10-09 送达")
    assert "延长 2 个工作日（材料较多）" in task.due_rule and "10-19 恢复" in task.due_rule


def test_the_head_signing_off_the_review_starts_the_rectification(db, clock):
    from tests.helpers import co_defendant_reviews
    from tests.samples import PathData, load

    data = PathData(load("loss_review")["paths"]["single_unit"])
    review, _ = co_defendant_reviews(db, "（2026）苏0813行初601号")
    complete(db, "gtzy", review.id, data.next("write_review"))
    with db.read() as session:
        approval = session.scalar(
            select(TaskRecord).where(
                TaskRecord.instance_id == review.instance_id,
                TaskRecord.bpmn_id == "approve_review", TaskRecord.status == "open",
            )
        )  # fmt: skip
    clock.set("2026-10-14T15:00:00+08:00")  # signed off 10-14 (Wed)
    complete(db, "gtzy_head", approval.id, data.next("approve_review"))
    with db.read() as session:
        rectify = session.scalar(
            select(TaskRecord).where(
                TaskRecord.instance_id == review.instance_id,
                TaskRecord.bpmn_id == "submit_rectification",
            )
        )
    # 10 working days after 10-14: 10-15 … 10-28
    assert _due(rectify) == "2026-10-28"
    assert "“主要负责人审签复盘报告”提交" in rectify.due_rule


def test_existing_timers_keep_their_dates_when_recomputed(db, clock):
    """A waiting deadline keeps its recorded start when the calendar is read again."""
    from app.services.execution import instances

    reply = _reply_task(db, clock)
    clock.set("2026-10-09T09:00:00+08:00")
    with db.write() as session:
        moved = instances.recompute_timers(session, reply.instance_id)
    assert moved == []
    with db.read() as session:
        timer = session.scalar(select(Timer).where(Timer.task_record_id == reply.id))
    assert product_clock.to_local(timer.due_at).date() == date(2026, 10, 10)


def test_the_center_records_a_service_on_the_task_page(client, db, clock):
    import io

    from tests.test_web import login

    reply = _reply_task(db, clock)
    clock.set("2026-10-09T11:00:00+08:00")
    login(client, "center")
    page = client.get(f"/tasks/{reply.id}").get_data(as_text=True)
    assert 'id="record-service"' in page and "期限自 2026-09-30 起算" in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        f"/tasks/{reply.id}/service",
        data={"served_on": "2026-10-08", "evidence": "送达回证", "csrf_token": token,
              "files": (io.BytesIO(RECEIPT.content), RECEIPT.name)},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302
    assert _due(open_task(db, reply.instance_id)) == "2026-10-12"
    login(client, "scjg")
    assert client.get(f"/tasks/{reply.id}").status_code in (403, 404)


def test_a_service_is_recorded_through_the_api_with_an_uploaded_receipt(client, db, clock):
    import io

    from app.services.actor import SYSTEM
    from app.services.identity import org

    reply = _reply_task(db, clock)
    clock.set("2026-10-09T11:00:00+08:00")
    with db.write() as session:
        token = org.create_token(session, SYSTEM, "center")
    headers = {"Authorization": f"Bearer {token}"}
    uploaded = client.post(
        "/api/v1/attachments", headers=headers, content_type="multipart/form-data",
        data={"file": (io.BytesIO(RECEIPT.content), RECEIPT.name)},
    )  # fmt: skip
    assert uploaded.status_code == 201, uploaded.json
    body = {"served_on": "2026-10-08", "evidence": "送达回证", "files": [uploaded.json["id"]]}
    response = client.post(f"/api/v1/tasks/{reply.id}/service", json=body, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["due_at"].startswith("2026-10-12")
    bad = client.post(
        f"/api/v1/tasks/{reply.id}/service",
        json={"served_on": "2027-01-01", "evidence": "", "files": [999999]},
        headers=headers,
    )
    assert bad.status_code == 400
    assert set(bad.json["errors"]) == {"served_on", "evidence", "files"}
