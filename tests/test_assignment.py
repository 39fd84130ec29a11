"""Substitutes (代理) for a date range, reassignment by the head, bulk actions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import Forbidden, InvalidInput
from app.models import AuditEvent, Notification, TaskRecord
from app.services.actor import SYSTEM, Actor
from app.services.execution import assignment, completion, instances
from app.services.identity import org
from app.services.reporting import queries
from tests.helpers import FORM_DATA, actor, open_task, register, step
from tests.test_web import login

pytestmark = pytest.mark.both_databases


def _with_substitution(db, username: str) -> Actor:
    from app.models import User

    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        return Actor.of(user, assignment.acting_for(session, user))


def test_a_substitute_sees_and_does_the_absent_persons_tasks_only_in_the_range(db, clock):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    task = open_task(db, instance_id)  # the agency reply, for GTZY staff
    with db.write() as session:
        # the head is away; the reviewer stands in for the head's own tasks
        assignment.name_substitute.within(
            session, actor(db, "gtzy_head"), "gtzy_reviewer", "2026-10-01", "2026-10-20", "出差"
        )
        head_task = session.get(TaskRecord, task.id)
        head_task.role = "agency_head"  # a task only the head may do
    outside = _with_substitution(db, "gtzy_reviewer")  # 09-30: not yet
    assert not instances.can_work_on(outside, open_task(db, instance_id))
    clock.set("2026-10-09T10:00:00+08:00")
    inside = _with_substitution(db, "gtzy_reviewer")
    with db.read() as session:
        assert [t.id for t in queries.inbox(session, inside)] == [task.id]
    with db.write() as session:
        completion.complete_task(session, inside, task.id, FORM_DATA["agency_reply"])
    with db.read() as session:
        assert session.get(TaskRecord, task.id).completed_by == "gtzy_reviewer（代 gtzy_head）"


def test_substitute_must_be_a_colleague(db):
    with pytest.raises(InvalidInput), db.write() as session:
        assignment.name_substitute.within(
            session, actor(db, "gtzy"), "scjg", "2026-10-01", "2026-10-02", ""
        )


def test_head_reassigns_within_the_unit_with_a_reason(db):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    task = open_task(db, instance_id)
    with pytest.raises(Forbidden), db.write() as session:
        assignment.reassign.within(session, actor(db, "gtzy"), task.id, "gtzy_reviewer", "忙")
    with pytest.raises(InvalidInput), db.write() as session:
        assignment.reassign.within(session, actor(db, "gtzy_head"), task.id, "scjg", "跨单位")
    with db.write() as session:
        assignment.reassign.within(
            session, actor(db, "gtzy_head"), task.id, "gtzy_reviewer", "熟悉案情"
        )
    with db.read() as session:
        assert queries.inbox(session, actor(db, "gtzy")) == []
        assert [t.id for t in queries.inbox(session, actor(db, "gtzy_reviewer"))] == [task.id]
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "task.reassign"))
    assert event.detail["previous"] == "（本单位）" and event.detail["to"] == "gtzy_reviewer"
    assert event.actor == "gtzy_head" and event.detail["reason"] == "熟悉案情"


def test_bulk_actions_report_each_item(client, db):
    first = register(db)
    step(db, first, "center", "register_materials")
    second = register(db, court_case_no="（2026）苏0813行诉前31号", agency_unit="SCJG")
    step(db, second, "center", "register_materials")
    mine, other = open_task(db, first), open_task(db, second)
    with db.write() as session:
        token = org.create_token(session, SYSTEM, "gtzy_head")
    response = client.post(
        "/api/v1/tasks/bulk",
        json={"action": "remind", "task_ids": [mine.id, other.id, 99999], "reason": "尽快"},
        headers={"Authorization": f"Bearer {token}"},
    )
    results = {r["task_id"]: r for r in response.json["results"]}
    assert results[mine.id]["ok"] is True
    assert results[other.id]["ok"] is False and "本单位" in results[other.id]["error"]
    assert results[99999]["ok"] is False
    with db.read() as session:
        reminded = list(session.scalars(select(Notification).where(Notification.kind == "remind")))
    assert reminded and all(n.task_record_id == mine.id for n in reminded)
    bad = client.post(
        "/api/v1/tasks/bulk", json={"action": "delete", "task_ids": [mine.id]},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert bad.status_code == 400


def test_bulk_form_on_the_head_inbox(client, db):
    from tests.test_web import _csrf

    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    task = open_task(db, instance_id)
    login(client, "gtzy_head")
    page = client.get("/").get_data(as_text=True)
    assert 'id="bulk-actions"' in page
    response = client.post(
        "/tasks/bulk",
        data={"task_id": [str(task.id), "99999"], "action": "reassign",
              "username": "gtzy_reviewer", "reason": "熟悉案情", "csrf_token": _csrf(client, "/")},
        follow_redirects=True,
    )  # fmt: skip
    text = response.get_data(as_text=True)
    assert f"任务 #{task.id}：已完成" in text and "任务 #99999：任务不存在" in text
    login(client, "gtzy")
    assert 'id="bulk-actions"' not in client.get("/").get_data(as_text=True)


def test_a_person_alone_in_the_unit_is_told_why_no_substitute_can_be_named(client, db):
    login(client, "center")  # the only person of the mediation center
    page = client.get("/substitutes").get_data(as_text=True)
    assert "本单位没有其他在用人员，暂不能指定代理人" in page
    assert 'id="substitute"' not in page  # no empty list to choose from
    login(client, "gtzy")
    page = client.get("/substitutes").get_data(as_text=True)
    assert 'id="substitute"' in page and "钱敏" in page
