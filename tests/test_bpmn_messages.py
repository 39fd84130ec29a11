"""POST /api/v1/messages {name, correlation, payload, idempotency_key}: delivered to the running
instances that wait for the message (catch event, receive task, boundary event) and whose data
matches the correlation; starting the processes whose start event is that message."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import ProcessInstance, ProcessMessage
from tests.helpers import bearer_headers

pytestmark = pytest.mark.both_databases

SAMPLES = Path(__file__).resolve().parent / "samples" / "messages"
FORM = "messages/note.schema.json"


@pytest.fixture
def tokens(db):
    return bearer_headers(db, "owner", "gtzy", "center", "court")


def _deploy(client, tokens, name: str) -> None:
    parts = [
        (BytesIO((SAMPLES / name).read_bytes()), name),
        (BytesIO((SAMPLES / "note.schema.json").read_bytes()), FORM),
    ]
    response = client.post(
        "/api/v1/process-definitions", data={"file": parts}, headers=tokens["owner"],
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 201, response.json


def _start(client, tokens, application_no: str) -> int:
    response = client.post(
        "/api/v1/processes/message_waits/instances",
        json={"data": {"application_no": application_no}},
        headers=tokens["gtzy"],
    )
    assert response.status_code == 201, response.json
    return response.json["instance_id"]


def _send(client, tokens, name, correlation, key, payload=None, sender="center"):
    body = {"name": name, "correlation": correlation, "idempotency_key": key}
    if payload is not None:
        body["payload"] = payload
    return client.post("/api/v1/messages", json=body, headers=tokens[sender])


def _data(db, instance_id) -> dict:
    with db.read() as session:
        return json.loads(session.get(ProcessInstance, instance_id).state)["data"]


def _status(client, tokens, instance_id) -> tuple[str, list[str]]:
    detail = client.get(f"/api/v1/instances/{instance_id}", headers=tokens["center"]).json
    return detail["status"], [t["bpmn_id"] for t in detail["tasks"] if t["status"] == "open"]


def test_a_message_reaches_only_the_instance_its_correlation_names(client, tokens, db):
    _deploy(client, tokens, "message_waits.bpmn")
    first, second = _start(client, tokens, "A-1"), _start(client, tokens, "A-2")
    sent = _send(client, tokens, "agency_reply", {"application_no": "A-2"}, "k1", {"reply": "同意"})
    assert sent.status_code == 201, sent.json
    assert sent.json["delivered_to"] == [second] and sent.json["started"] == []
    # the receive task, then the boundary event on the user task that follows
    sent = _send(client, tokens, "materials_supplemented", {"application_no": "A-2"}, "k2")
    assert sent.json["delivered_to"] == [second]
    assert _status(client, tokens, second) == ("running", ["review"])
    sent = _send(client, tokens, "application_withdrawn", {"application_no": "A-2"}, "k3")
    assert sent.json["delivered_to"] == [second]
    assert _status(client, tokens, second) == ("completed", [])
    assert _data(db, second)["reply"] == "同意"  # the first message's payload, kept
    assert _status(client, tokens, first) == ("running", [])  # still waiting for its reply


def test_a_repeated_key_has_no_second_effect_and_an_unawaited_message_is_refused(
    client, tokens, db
):
    _deploy(client, tokens, "message_waits.bpmn")
    instance_id = _start(client, tokens, "A-1")
    assert _send(client, tokens, "agency_reply", {"application_no": "A-1"}, "k1").status_code == 201
    again = _send(client, tokens, "agency_reply", {"application_no": "A-1"}, "k1")
    assert again.status_code == 200 and again.json["duplicate"] is True
    assert _status(client, tokens, instance_id) == ("running", [])  # at the receive task, once
    nobody = _send(client, tokens, "agency_reply", {"application_no": "B-9"}, "k2")
    assert nobody.status_code == 400
    assert (
        "没有流程实例在等待消息 agency_reply（关联条件：application_no = B-9）"
        in nobody.json["error"]
    )
    reused = _send(client, tokens, "materials_supplemented", {"application_no": "A-1"}, "k1")
    assert reused.status_code == 400 and "idempotency_key" in reused.json["errors"]
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ProcessMessage)) == 1


def test_a_message_start_event_starts_its_process_with_the_message_data(client, tokens):
    _deploy(client, tokens, "message_start.bpmn")
    sent = _send(
        client, tokens, "application_received", {"application_no": "C-3"}, "k1",
        {"applicant": "张三"},
    )  # fmt: skip
    assert sent.status_code == 201, sent.json
    [instance_id] = sent.json["started"]
    (task,) = client.get("/api/v1/tasks", headers=tokens["center"]).json
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=tokens["center"]).json
    assert detail["bpmn_id"] == "register_application"
    assert detail["instructions"] == "申请人：张三（申请号 C-3）"
    assert _status(client, tokens, instance_id)[0] == "running"


def test_who_may_send_and_court_events_keep_their_path(client, tokens):
    _deploy(client, tokens, "message_waits.bpmn")
    _start(client, tokens, "A-1")
    agency = _send(client, tokens, "agency_reply", {"application_no": "A-1"}, "k1", sender="gtzy")
    assert agency.status_code == 403
    court_event = client.post(
        "/api/v1/messages",
        json={"name": "judgment", "case_no": "（2026）苏0813行初1号", "idempotency_key": "k2"},
        headers=tokens["center"],
    )
    assert court_event.status_code == 403
    assert "只有法院的接口令牌可以发送法院消息" in court_event.json["error"]
    bad = client.post(
        "/api/v1/messages",
        json={"name": "agency_reply", "correlation": {"a-b": [1]}, "idempotency_key": "k3"},
        headers=tokens["center"],
    )
    assert bad.status_code == 400 and "correlation.a-b" in bad.json["errors"]


def _start_signals(client, tokens, role: str) -> int:
    response = client.post(
        "/api/v1/processes/signals_demo/instances", json={"data": {"role": role}},
        headers=tokens["gtzy"],
    )  # fmt: skip
    assert response.status_code == 201, response.json
    return response.json["instance_id"]


def _deploy_signals(client, tokens, diagram: str) -> None:
    response = client.post(
        "/api/v1/process-definitions",
        data={"file": (BytesIO(diagram.encode()), "signals.bpmn")},
        headers=tokens["owner"], content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 201, response.json


def test_a_signal_reaches_the_waiting_instances_of_the_same_version(client, tokens):
    diagram = (SAMPLES / "signals.bpmn").read_text(encoding="utf-8")
    _deploy_signals(client, tokens, diagram)
    older = _start_signals(client, tokens, "waiter")
    _deploy_signals(client, tokens, diagram.replace('name="信号"', 'name="信号（第二版）"'))
    first, second = (
        _start_signals(client, tokens, "waiter"),
        _start_signals(client, tokens, "waiter"),
    )
    decider = _start_signals(client, tokens, "decider")
    (decide,) = [
        t for t in client.get("/api/v1/tasks", headers=tokens["gtzy"]).json
        if t["bpmn_id"] == "decide"
    ]  # fmt: skip
    done = client.post(
        f"/api/v1/tasks/{decide['id']}/complete", json={"data": {}}, headers=tokens["gtzy"]
    )
    assert done.status_code == 200, done.json
    assert _status(client, tokens, decider) == ("completed", [])
    assert _status(client, tokens, first) == ("running", ["follow_up"])
    assert _status(client, tokens, second) == ("running", ["follow_up"])
    assert _status(client, tokens, older) == ("running", [])  # another version: not reached
