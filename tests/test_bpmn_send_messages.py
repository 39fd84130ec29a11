"""An instance sends a message (a SpiffArena send task with ``messagePayload``, a message throw
event, a message end event): delivered in the same step as ``POST /api/v1/messages`` would
deliver it, to the waiting instances of other processes whose correlation matches, or starting
the processes whose start event is that message; one nobody waits for is recorded as such."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import AuditEvent, ProcessInstance
from tests.helpers import bearer_headers
from tests.test_web import login

pytestmark = pytest.mark.both_databases

SAMPLES = Path(__file__).resolve().parent / "samples" / "messages"
FORM = "messages/note.schema.json"


@pytest.fixture
def tokens(db):
    return bearer_headers(db, "owner", "gtzy", "center")


def _deploy(client, tokens, name: str) -> list[dict]:
    parts = [
        (BytesIO((SAMPLES / name).read_bytes()), name),
        (BytesIO((SAMPLES / "note.schema.json").read_bytes()), FORM),
    ]
    response = client.post(
        "/api/v1/process-definitions", data={"file": parts}, headers=tokens["owner"],
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 201, response.json
    return response.json["warnings"]


def _start(client, tokens, process_id: str, data: dict) -> int:
    response = client.post(
        f"/api/v1/processes/{process_id}/instances", json={"data": data}, headers=tokens["gtzy"]
    )
    assert response.status_code == 201, response.json
    return response.json["instance_id"]


def _detail(client, tokens, instance_id) -> dict:
    return client.get(f"/api/v1/instances/{instance_id}", headers=tokens["center"]).json


def _open(client, tokens, instance_id) -> list[str]:
    return [t["bpmn_id"] for t in _detail(client, tokens, instance_id)["tasks"]
            if t["status"] == "open"]  # fmt: skip


def _complete(client, tokens, instance_id: int, bpmn_id: str, data: dict) -> None:
    (task,) = [
        t for t in client.get("/api/v1/tasks", headers=tokens["gtzy"]).json
        if t["instance_id"] == instance_id and t["bpmn_id"] == bpmn_id
    ]  # fmt: skip
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=tokens["gtzy"]
    )
    assert done.status_code == 200, done.json


def _sent(db, instance_id) -> list[dict]:
    with db.read() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "message.send").order_by(AuditEvent.id)
        ).all()
        return [e.detail for e in events if e.instance_id == instance_id]


def test_a_send_task_reaches_the_review_its_application_number_names(client, tokens, db):
    _deploy(client, tokens, "application_review.bpmn")
    assert _deploy(client, tokens, "application_send.bpmn") == []  # review waits for it
    review = _start(client, tokens, "review", {"application_no": "A-1"})
    other_review = _start(client, tokens, "review", {"application_no": "A-2"})
    application = _start(client, tokens, "application", {"application_no": "A-1"})
    assert _open(client, tokens, review) == []  # waiting in its receive task

    _complete(client, tokens, application, "prepare", {"note": "材料齐全"})

    assert _detail(client, tokens, application)["status"] == "completed"
    assert _open(client, tokens, review) == ["review_application"]
    assert _open(client, tokens, other_review) == []  # another application: still waiting
    (task,) = [
        t for t in client.get("/api/v1/tasks", headers=tokens["gtzy"]).json
        if t["instance_id"] == review
    ]  # fmt: skip
    shown = client.get(f"/api/v1/tasks/{task['id']}", headers=tokens["gtzy"]).json
    assert shown["instructions"] == "申请备注：材料齐全"  # the payload, in its message variable
    (sent,) = _sent(db, application)
    assert sent["name"] == "application_ready"
    assert sent["correlation"] == {"application_no": "A-1"}
    assert sent["delivered_to"] == [review] and sent["started"] == []
    login(client, "auditor")
    history = client.get(f"/instances/{application}").get_data(as_text=True)
    assert "本流程发出消息“application_ready”，送达 1 个流程" in history
    received = client.get(f"/instances/{review}").get_data(as_text=True)
    assert "消息“application_ready”送达本流程" in received


def test_a_throw_starts_the_process_whose_start_event_is_that_message(client, tokens, db):
    _deploy(client, tokens, "message_start.bpmn")
    _deploy(client, tokens, "intake_throws.bpmn")
    intake = _start(client, tokens, "intake", {"application_no": "C-3", "applicant": "张三"})

    assert _detail(client, tokens, intake)["status"] == "completed"
    started, closed = _sent(db, intake)
    [registration] = started["started"]
    with db.read() as session:
        instance = session.get(ProcessInstance, registration)
        assert instance.process_id == "message_start"
        sender = session.get(ProcessInstance, intake)
        assert instance.unit_id == sender.unit_id is not None  # handled for the sender's unit
    (task,) = [
        t for t in client.get("/api/v1/tasks", headers=tokens["gtzy"]).json
        if t["instance_id"] == registration
    ]  # fmt: skip
    shown = client.get(f"/api/v1/tasks/{task['id']}", headers=tokens["gtzy"]).json
    assert shown["instructions"] == "申请人：张三（申请号 C-3）"


def test_a_message_nobody_waits_for_is_recorded_and_the_sender_goes_on(client, tokens, db):
    _deploy(client, tokens, "message_start.bpmn")
    (warning,) = _deploy(client, tokens, "intake_throws.bpmn")
    assert warning["element_id"] == "closed"
    assert "发送的消息“intake_closed”目前没有已部署的流程在等待" in warning["message"]
    intake = _start(client, tokens, "intake", {"application_no": "C-4", "applicant": "李四"})

    assert _detail(client, tokens, intake)["status"] == "completed"
    _, closed = _sent(db, intake)
    assert closed["name"] == "intake_closed"
    assert closed["delivered_to"] == [] and closed["started"] == []
    login(client, "auditor")
    history = client.get(f"/instances/{intake}").get_data(as_text=True)
    assert "本流程发出消息“intake_closed”，没有流程在等待它，未送达" in history


def test_a_posted_message_reaches_a_receive_task_with_a_process_variable_correlation(
    client, tokens
):
    _deploy(client, tokens, "application_review.bpmn")
    review = _start(client, tokens, "review", {"application_no": "A-7"})
    sent = client.post(
        "/api/v1/messages",
        json={"name": "application_ready", "correlation": {"application_no": "A-7"},
              "payload": {"note": "补正后齐全"}, "idempotency_key": "k1"},
        headers=tokens["center"],
    )  # fmt: skip
    assert sent.status_code == 201, sent.json
    assert sent.json["delivered_to"] == [review]
    assert _open(client, tokens, review) == ["review_application"]


ECHO = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Definitions_echo"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="Message_echo" name="echo" />
  <bpmn:process id="echo" name="回声" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_center" name="区调处中心">
        <bpmn:flowNodeRef>heard</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>answer</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="heard">
      <bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:messageEventDefinition id="Heard" messageRef="Message_echo" />
    </bpmn:startEvent>
    <bpmn:endEvent id="answer">
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:messageEventDefinition id="Answer" messageRef="Message_echo" />
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="heard" targetRef="answer" />
  </bpmn:process>
</bpmn:definitions>"""


def test_messages_that_answer_each_other_stop_with_nothing_stored(client, tokens, db):
    response = client.post(
        "/api/v1/process-definitions", data={"file": (BytesIO(ECHO.encode()), "echo.bpmn")},
        headers=tokens["owner"], content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 201, response.json
    sent = client.post(
        "/api/v1/messages", json={"name": "echo", "idempotency_key": "k1"},
        headers=tokens["center"],
    )  # fmt: skip
    assert sent.status_code == 400
    assert "流程之间的消息往复传递超过 5 层" in sent.json["error"]
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


RELAY = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Definitions_relay"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="Message_ping" name="ping" />
  <bpmn:message id="Message_received" name="application_received" />
  <bpmn:process id="relay" name="转发" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_agency" name="案涉行政机关">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>wait_ping</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>pass_on</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>divide</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>done</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:receiveTask id="wait_ping" name="等待" messageRef="Message_ping">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:receiveTask>
    <bpmn:sendTask id="pass_on" name="转发申请" messageRef="Message_received">
      <bpmn:extensionElements>
        <spiffworkflow:messagePayload>
          {"application_no": "R-1", "applicant": "王五"}
        </spiffworkflow:messagePayload>
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:sendTask>
    <bpmn:scriptTask id="divide" name="计算">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:script>share = 1 / 0</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="done"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait_ping" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait_ping" targetRef="pass_on" />
    <bpmn:sequenceFlow id="f3" sourceRef="pass_on" targetRef="divide" />
    <bpmn:sequenceFlow id="f4" sourceRef="divide" targetRef="done" />
  </bpmn:process>
</bpmn:definitions>"""


def test_what_an_instance_sent_before_it_failed_is_delivered(client, tokens, db):
    _deploy(client, tokens, "message_start.bpmn")
    response = client.post(
        "/api/v1/process-definitions", data={"file": (BytesIO(RELAY.encode()), "relay.bpmn")},
        headers=tokens["owner"], content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 201, response.json
    relay = _start(client, tokens, "relay", {})
    sent = client.post(
        "/api/v1/messages", json={"name": "ping", "idempotency_key": "k1"},
        headers=tokens["center"],
    )  # fmt: skip
    assert sent.status_code == 201, sent.json
    assert _detail(client, tokens, relay)["status"] == "incident"  # stopped at the division
    (passed_on,) = _sent(db, relay)
    [registration] = passed_on["started"]
    assert _open(client, tokens, registration) == ["register_application"]
