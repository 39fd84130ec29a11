"""A process owner corrects an incident's data (every field by its form's label, every bad
value named at once, a reason required), retries now or later, or moves the instance to a
fixed version and retries in one step; the history says who corrected what and why."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.cli import main
from app.errors import InvalidInput
from app.models import AuditEvent, Incident, ProcessInstance
from app.services.execution import incident_retry, incidents
from app.services.reporting import wording
from tests.helpers import actor
from tests.test_incidents import DIAGRAM, DRAFT, _deploy, _h, _incidents, _start, _status, tokens

pytestmark = pytest.mark.both_databases
__all__ = ["tokens"]  # the fixture, used by name

DECISION = {"abandon": False, "proposed_decision": "罚款五千元"}


def _stopped_at_start(client, tokens) -> tuple[int, int]:
    """An instance whose first script reads ``fine``, started without it."""
    _deploy(client, tokens["owner"], DIAGRAM.read_bytes())
    instance_id = _start(client, tokens, DECISION)
    [incident] = _incidents(client, tokens)
    return instance_id, incident["id"]


def _fields(db, username, incident_id):
    with db.read() as session:
        return {f.key: f for f in incidents.page(session, actor(db, username), incident_id).fields}


def _stored(db, instance_id):
    with db.read() as session:
        instance = session.get(ProcessInstance, instance_id)
        events = session.scalar(select(func.count()).where(AuditEvent.instance_id == instance_id))
        return instance.state, instance.lock_version, instance.status, events


def _history(db, instance_id, action):
    with db.read() as session:
        events = list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == action, AuditEvent.instance_id == instance_id
                )
            )
        )
        words = wording.event_words(session, events)
        return [wording.event_sentence(e, e.detail, words) for e in events]


def test_the_data_shows_by_its_forms_labels_and_the_missing_name_is_offered(client, tokens, db):
    _, incident_id = _stopped_at_start(client, tokens)
    fields = _fields(db, "owner", incident_id)
    assert fields["proposed_decision"].label == "修改后的拟作决定"
    assert fields["proposed_decision"].kind == "string"
    assert fields["abandon"].label == "不再作出该决定" and fields["abandon"].text == "否"
    assert fields["fine"].missing and fields["fine"].label == "" and fields["fine"].kind == "new"
    assert all(not key.startswith("_") for key in fields)


def test_a_correction_with_a_reason_retries_and_the_history_says_who_what_and_why(
    client, tokens, db
):
    instance_id, incident_id = _stopped_at_start(client, tokens)
    incident_retry.retry(
        db, actor(db, "owner"), incident_id,
        {"fine": 5000, "proposed_decision": "罚款一万元", "abandon": False},  # abandon unchanged
        "启动时漏填罚款金额，拟作决定按复核意见调整",
    )  # fmt: skip
    assert _status(client, tokens, instance_id) == "running"
    (task,) = client.get("/api/v1/tasks", headers=_h(tokens["gtzy"])).json
    assert task["bpmn_id"] == "revise_draft"
    [sentence] = _history(db, instance_id, "incident.retry")
    assert sentence == (
        "周洁（洪泽区司法局）处理了流程故障：更正了修改后的拟作决定、"
        "1 项未在表单中命名的流程数据（理由：启动时漏填罚款金额，拟作决定按复核意见调整）"
        "后重试，流程继续"
    )
    assert "fine" not in sentence and "proposed_decision" not in sentence
    with db.read() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "incident.retry"))
        assert event.detail["corrections"] == {"fine": 5000, "proposed_decision": "罚款一万元"}


def test_every_bad_value_is_named_at_once_and_nothing_is_stored(client, tokens, db):
    instance_id, incident_id = _stopped_at_start(client, tokens)
    before = _stored(db, instance_id)
    bad = {"abandon": "也许", "proposed_decision": 5, "nosuch": 1, "fine": {"a": 1}}
    with pytest.raises(InvalidInput) as refused:
        incident_retry.retry(db, actor(db, "owner"), incident_id, bad, "  ")
    errors = refused.value.errors
    assert set(errors) == {"abandon", "proposed_decision", "nosuch", "fine", "reason"}
    assert errors["abandon"] == ["不再作出该决定：须为“是”或“否”"]
    assert errors["proposed_decision"] == ["修改后的拟作决定：须为文本"]
    assert "不是该流程实例的数据" in errors["nosuch"][0]
    assert "只有系统管理员" in errors["fine"][0]
    assert errors["reason"] == ["请填写更正的理由"]
    assert "未保存" in refused.value.message
    with pytest.raises(InvalidInput) as no_reason:
        incident_retry.save_correction(db, actor(db, "owner"), incident_id, {"fine": 1}, "")
    assert set(no_reason.value.errors) == {"reason"}
    assert _stored(db, instance_id) == before
    assert _incidents(client, tokens)[0]["id"] == incident_id


def test_a_saved_correction_is_what_a_later_retry_runs_with(client, tokens, db):
    instance_id, incident_id = _stopped_at_start(client, tokens)
    with pytest.raises(InvalidInput) as refused:
        incident_retry.save_correction(
            db, actor(db, "owner"), incident_id, {"fine": "五千"}, "罚款金额见决定书",
            {"fine": "number"},
        )  # fmt: skip
    assert refused.value.errors == {"fine": ["fine：须为数字"]}
    incident_retry.save_correction(
        db, actor(db, "owner"), incident_id, {"fine": 5000}, "罚款金额见决定书", {"fine": "number"}
    )
    assert _status(client, tokens, instance_id) == "incident"  # stored, not yet run
    assert _fields(db, "owner", incident_id)["fine"].value == 5000
    [saved] = _history(db, instance_id, "incident.correct")
    assert saved.endswith(
        "更正了出错环节的数据：1 项未在表单中命名的流程数据（理由：罚款金额见决定书），尚未重试"
    )
    incident_retry.retry(db, actor(db, "admin"), incident_id)
    assert _status(client, tokens, instance_id) == "running"
    with db.read() as session:
        assert session.get(Incident, incident_id).resolved_by == "admin"
    verified = CliRunner().invoke(main, ["audit", "verify", "--deep"], catch_exceptions=False)
    assert verified.exit_code == 0 and "审计链完整" in verified.output, verified.output


def test_a_value_a_hidden_task_wrote_is_neither_shown_nor_corrected(client, tokens, db):
    _deploy(client, tokens["owner"], DIAGRAM.read_bytes())
    instance_id = _start(client, tokens, {"fine": 100, "words": 0})
    (task,) = client.get("/api/v1/tasks", headers=_h(tokens["gtzy"])).json
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": DRAFT}, headers=_h(tokens["gtzy"])
    )
    assert done.status_code == 200, done.json  # then len(note) / 0 fails
    [incident] = _incidents(client, tokens)
    fields = _fields(db, "owner", incident["id"])
    note = fields["revision_note"]  # the agency's submission: not the bureau's to read
    assert not note.readable and note.label == "修改说明"
    assert fields["words"].readable and fields["words"].kind == "number"
    with pytest.raises(InvalidInput) as refused:
        incident_retry.retry(
            db, actor(db, "owner"), incident["id"], {"revision_note": "改", "words": 2}, "除零"
        )
    assert refused.value.errors == {"revision_note": ["修改说明：由您无权查看的环节填写，不能更正"]}
    incident_retry.retry(db, actor(db, "owner"), incident["id"], {"words": 2}, "字数不能为零")
    assert _status(client, tokens, instance_id) == "completed"


def test_migrating_to_a_fixed_version_and_retrying_is_one_step(client, tokens, db):
    instance_id, incident_id = _stopped_at_start(client, tokens)
    _deploy(client, tokens["owner"], DIAGRAM.read_bytes().replace(b"fine * 2", b"fine * 3"))
    before = _stored(db, instance_id)
    with pytest.raises(InvalidInput) as still:  # v2 reads fine too: nothing moves
        incident_retry.migrate_and_retry(db, actor(db, "owner"), incident_id, 2)
    assert "重试仍然失败" in still.value.message
    assert _stored(db, instance_id) == before
    with db.read() as session:
        assert session.get(ProcessInstance, instance_id).definition.version == 1
    _deploy(client, tokens["owner"], DIAGRAM.read_bytes().replace(b"fine * 2", b"0"))
    incident_retry.migrate_and_retry(db, actor(db, "owner"), incident_id, 3)
    assert _status(client, tokens, instance_id) == "running"
    with db.read() as session:
        assert session.get(ProcessInstance, instance_id).definition.version == 3
    [sentence] = _history(db, instance_id, "incident.retry")
    assert "将流程迁移到 v3 后重试，流程继续" in sentence
    assert _history(db, instance_id, "instance.migrate")  # audited as a migration too
