"""认领, 接手, 放弃认领, 暂存 and the second submission told who finished the task."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge
from app.models import AuditEvent, Notification, TaskDraft, TaskRecord
from app.services.execution import claims, completion, drafts
from tests.helpers import FORM_DATA, actor, open_task, register, step

pytestmark = pytest.mark.both_databases

REPLY = FORM_DATA["agency_reply"]


def _agency_task(db) -> TaskRecord:
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    return open_task(db, instance_id)


def _events(db, action: str) -> list[AuditEvent]:
    with db.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_claimed_task_names_its_claimant_and_only_the_claimant_completes_it(db):
    task = _agency_task(db)
    claims.claim(db, actor(db, "gtzy"), task.id)
    with db.read() as session:
        held = claims.claim_of(session, session.get(TaskRecord, task.id))
    assert held is not None and held.username == "gtzy"
    assert "洪泽区自然资源和规划局" in held.label and "2026-09-30 10:00" in held.sentence()
    colleague = actor(db, "gtzy_reviewer")
    with pytest.raises(Conflict, match="已由.*认领"):
        claims.claim(db, colleague, task.id)
    with pytest.raises(Forbidden, match="请先接手"):
        completion.submit(db, colleague, task.id, REPLY)
    assert open_task(db, task.instance_id).id == task.id  # nothing was completed
    completion.submit(db, actor(db, "gtzy"), task.id, REPLY)
    assert [e.actor for e in _events(db, "task.claim")] == ["gtzy"]


def test_a_task_nobody_claimed_is_done_by_anyone_allowed_and_others_cannot_claim(db):
    task = _agency_task(db)
    with pytest.raises(NotFound):
        claims.claim(db, actor(db, "scjg"), task.id)  # another agency's task
    completion.submit(db, actor(db, "gtzy_reviewer"), task.id, REPLY)
    with db.read() as session:
        assert session.get(TaskRecord, task.id).completed_by == "gtzy_reviewer"


def test_take_over_needs_a_reason_is_audited_and_tells_the_previous_claimant(db):
    task = _agency_task(db)
    claims.claim(db, actor(db, "gtzy"), task.id)
    colleague = actor(db, "gtzy_reviewer")
    with pytest.raises(InvalidInput) as refused:
        claims.take_over(db, colleague, task.id, "  ")
    assert refused.value.errors == {"reason": ["此项为必填项"]}
    with db.read() as session:
        assert session.get(TaskRecord, task.id).claimed_by_id == actor(db, "gtzy").user_id
    claims.take_over(db, colleague, task.id, "原承办人出差")
    (event,) = _events(db, "task.takeover")
    assert event.actor == "gtzy_reviewer" and event.instance_id == task.instance_id
    assert event.detail["previous"] == "gtzy" and event.detail["reason"] == "原承办人出差"
    with db.read() as session:
        told = session.scalars(
            select(Notification).where(Notification.user_id == actor(db, "gtzy").user_id)
        ).all()
    assert [n.kind for n in told] == ["takeover"] and "原承办人出差" in told[0].message
    with pytest.raises(Forbidden):
        completion.submit(db, actor(db, "gtzy"), task.id, REPLY)
    completion.submit(db, colleague, task.id, REPLY)


def test_release_is_the_claimants_and_opens_the_task_to_the_unit_again(db):
    task = _agency_task(db)
    claims.claim(db, actor(db, "gtzy"), task.id)
    with pytest.raises(Conflict):
        claims.release(db, actor(db, "gtzy_reviewer"), task.id)
    claims.release(db, actor(db, "gtzy"), task.id)
    assert [e.actor for e in _events(db, "task.release")] == ["gtzy"]
    completion.submit(db, actor(db, "gtzy_reviewer"), task.id, REPLY)


def test_a_second_submission_is_told_who_completed_the_task_and_when(db):
    task = _agency_task(db)
    completion.submit(db, actor(db, "gtzy_reviewer"), task.id, REPLY)
    with pytest.raises(Conflict) as second:
        completion.submit(db, actor(db, "gtzy"), task.id, {**REPLY, "liaison": "王五"})
    assert second.value.status == 409
    who = "钱敏（洪泽区自然资源和规划局）"
    assert second.value.message.startswith(f"该任务已由{who}于 2026-09-30 10:00 提交办结")


def test_a_draft_is_kept_per_person_checked_for_shape_only_and_gone_on_completion(db):
    task = _agency_task(db)
    gtzy, colleague = actor(db, "gtzy"), actor(db, "gtzy_reviewer")
    drafts.save(db, gtzy, task.id, {"liaison": "刘洋"})  # required fields missing: fine
    with db.read() as session:
        assert drafts.mine(session, gtzy, task.id).data == {"liaison": "刘洋"}
        assert drafts.mine(session, colleague, task.id) is None
    drafts.save(db, gtzy, task.id, {"liaison": "刘洋", "leader_title": "局长"})
    with pytest.raises(InvalidInput) as bad:
        drafts.save(db, gtzy, task.id, {"no_such_field": "x", "liaison": {"a": 1}})
    assert set(bad.value.errors) == {"no_such_field", "liaison"}
    with pytest.raises(PayloadTooLarge):
        drafts.save(db, gtzy, task.id, {"preliminary_plan": ["长" * 15000] * 5})
    with pytest.raises(NotFound):
        drafts.save(db, actor(db, "scjg"), task.id, {"liaison": "x"})
    with db.read() as session:
        assert drafts.mine(session, gtzy, task.id).data == {
            "liaison": "刘洋",
            "leader_title": "局长",
        }
    assert len(_events(db, "task.draft")) == 2
    completion.submit(db, gtzy, task.id, REPLY)
    with db.read() as session:
        assert session.scalars(select(TaskDraft)).all() == []
