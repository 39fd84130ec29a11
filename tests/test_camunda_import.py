"""Diagrams from Camunda Modeler: camunda:formData becomes the task's form, candidate groups
become roles where the district maps them, every Camunda setting without effect is named in
one warning; a modeler's default process id does not silently make unrelated files versions of
each other."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest

from app.services import district_settings
from app.services.actor import SYSTEM
from app.services.identity import org
from tests.helpers import actor

pytestmark = pytest.mark.both_databases

SAMPLES = Path(__file__).resolve().parent / "samples"
CAMUNDA = (SAMPLES / "modelers" / "camunda_modeler.bpmn").read_bytes()
FORM_KEY = b'camunda:formKey="major_enforcement_decision/legal_review.schema.json">'
FORM_DATA = """camunda:assignee="wang" camunda:dueDate="${{due}}"{groups}>
      <extensionElements>
        <camunda:formData>
          <camunda:formField id="review_result" label="审核结论" type="enum">
            <camunda:validation><camunda:constraint name="required" /></camunda:validation>
            <camunda:value id="passed" name="通过" />
            <camunda:value id="failed" name="不通过" />
          </camunda:formField>
          <camunda:formField id="review_opinion" label="审核意见" type="string">
            <camunda:validation>
              <camunda:constraint name="required" />
              <camunda:constraint name="minlength" config="2" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="urgent" label="加急" type="boolean" defaultValue="false" />
        </camunda:formData>
        <camunda:taskListener class="org.example.Notify" event="create" />
      </extensionElements>"""
DRAFT = {"revision_note": "补充证据", "proposed_decision": "罚款五千元", "abandon": False}


def _with_form_data(groups: str = "") -> bytes:
    extra = f' camunda:candidateGroups="{groups}"' if groups else ""
    content = CAMUNDA.replace(FORM_KEY, FORM_DATA.format(groups=extra).encode())
    assert content != CAMUNDA
    return content


@pytest.fixture
def tokens(db):
    with db.write() as session:
        users = ("owner", "gtzy", "gtzy_head")
        return {u: org.create_token(session, SYSTEM, u) for u in users}


def _h(token):
    return {"Authorization": f"Bearer {token}"}


def _upload(client, token, content: bytes, **form):
    data = {"file": (BytesIO(content), "diagram.bpmn"), **form}
    return client.post(
        "/api/v1/process-definitions", data=data, headers=_h(token),
        content_type="multipart/form-data",
    )  # fmt: skip


def _to_legal_review(client, tokens) -> None:
    agency = _h(tokens["gtzy"])
    started = client.post(
        "/api/v1/processes/enforcement_recheck_camunda/instances", json={}, headers=agency
    )
    assert started.status_code == 201, started.json
    (task,) = client.get("/api/v1/tasks", headers=agency).json
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": DRAFT}, headers=agency)
    assert done.status_code == 200, done.json


def test_form_data_becomes_the_form_and_camunda_settings_without_effect_are_named(client, tokens):
    response = _upload(client, tokens["owner"], _with_form_data())
    assert response.status_code == 201, response.json
    [warning] = [w for w in response.json["problems"] if "不起作用" in w["message"]]
    assert warning["severity"] == "warning"
    assert warning["element_id"] == "enforcement_recheck_camunda"
    ignored = ("camunda:assignee（legal_review）", "camunda:dueDate（legal_review）",
               "camunda:taskListener（legal_review）", "camunda:historyTimeToLive")  # fmt: skip
    for setting in ignored:
        assert setting in warning["message"], warning["message"]
    _to_legal_review(client, tokens)
    agency = _h(tokens["gtzy"])
    (review,) = client.get("/api/v1/tasks", headers=agency).json
    assert review["bpmn_id"] == "legal_review"
    schema = client.get(f"/api/v1/tasks/{review['id']}", headers=agency).json["schema"]
    assert schema["properties"]["review_result"]["enumNames"] == ["通过", "不通过"]
    assert schema["properties"]["review_opinion"]["minLength"] == 2
    assert set(schema["required"]) == {"review_result", "review_opinion"}
    url = f"/api/v1/tasks/{review['id']}/complete"
    refused = client.post(url, json={"data": {"review_result": "passed"}}, headers=agency)
    assert refused.status_code == 400 and "review_opinion" in refused.json["errors"]
    data = {"review_result": "passed", "review_opinion": "同意", "urgent": False}
    assert client.post(url, json={"data": data}, headers=agency).status_code == 200


def test_candidate_groups_become_roles_where_the_district_maps_them(client, tokens, db):
    response = _upload(client, tokens["owner"], _with_form_data("legal"))
    assert response.status_code == 201, response.json
    warning = next(w for w in response.json["problems"] if "不起作用" in w["message"])
    assert "camunda:candidateGroups=“legal”（legal_review，未配置对应角色）" in warning["message"]
    district_settings.change(
        db, actor(db, "admin"), "camunda_group_roles", {"legal": "agency_head"}
    )
    response = _upload(client, tokens["owner"], _with_form_data("legal"), comment="角色")
    assert response.status_code == 201, response.json
    assert response.json["version"] == 2
    assert not any("candidateGroups" in w["message"] for w in response.json["problems"])
    _to_legal_review(client, tokens)
    assert client.get("/api/v1/tasks", headers=_h(tokens["gtzy"])).json == []
    (review,) = client.get("/api/v1/tasks", headers=_h(tokens["gtzy_head"])).json
    assert review["bpmn_id"] == "legal_review"


def _as_process_1(content: bytes, process_id: bytes) -> bytes:
    return content.replace(process_id, b"Process_1")


def test_a_default_process_id_does_not_make_unrelated_files_versions(client, tokens):
    first = _as_process_1(CAMUNDA, b"enforcement_recheck_camunda")
    assert _upload(client, tokens["owner"], first).status_code == 201
    edited = first.replace("提出复审".encode(), "申请复审".encode())
    assert _upload(client, tokens["owner"], edited).status_code == 201  # related: a version
    other = _as_process_1(
        (SAMPLES / "checks" / "runtime_failure.bpmn").read_bytes(), b"incident_demo"
    )
    refused = _upload(client, tokens["owner"], other)
    assert refused.status_code == 400
    [problem] = [p for p in refused.json["problems"] if p["severity"] == "error"]
    assert problem["code"] == "CONFIRM_VERSION" and problem["element_id"] == "Process_1"
    assert "默认 ID" in problem["message"] and "v2" in problem["message"]
    confirmed = _upload(client, tokens["owner"], other, confirm_new_version="true")
    assert confirmed.status_code == 201, confirmed.json
    assert confirmed.json["version"] == 3


INVOICE = (SAMPLES / "external" / "camunda-invoice-approval.bpmn").read_bytes()
INVOICE_LANE = """isExecutable="true" camunda:historyTimeToLive="P180D">
    <bpmn2:laneSet id="LaneSet_1"><bpmn2:lane id="Lane_1" name="案涉行政机关">
      <bpmn2:flowNodeRef>StartEvent_1</bpmn2:flowNodeRef>
      <bpmn2:flowNodeRef>UserTask_1</bpmn2:flowNodeRef>
      <bpmn2:flowNodeRef>EndEvent_1</bpmn2:flowNodeRef></bpmn2:lane></bpmn2:laneSet>""".encode()
INVOICE_FORM = b"""camunda:assignee="demo">
      <bpmn2:extensionElements><camunda:formData>
        <camunda:formField id="approved" label="Approved?" type="boolean">
          <camunda:validation><camunda:constraint name="required" /></camunda:validation>
        </camunda:formField>
        <camunda:formField id="amount" label="Amount" type="long" />
      </camunda:formData></bpmn2:extensionElements>"""


def test_the_camunda_invoice_example_with_a_lane_and_a_form_runs_to_the_end(client, tokens):
    """Camunda's quickstart as a process owner would adapt it: its lane named after the unit
    that works it, its Camunda Forms form written as camunda:formData."""
    adapted = INVOICE.replace(
        b'isExecutable="true" camunda:historyTimeToLive="P180D">', INVOICE_LANE
    )
    adapted = adapted.replace(
        b'camunda:formKey="camunda-forms:app:task-form.form" camunda:assignee="demo">',
        INVOICE_FORM,
    )
    response = _upload(client, tokens["owner"], adapted)
    assert response.status_code == 201, response.json
    [warning] = response.json["warnings"]
    assert "camunda:assignee（UserTask_1）" in warning["message"]
    assert (
        "camunda:formKey=“camunda-forms:app:start-form.form”（StartEvent_1）" in warning["message"]
    )
    agency = _h(tokens["gtzy"])
    started = client.post(
        "/api/v1/processes/camundaFormsQuickstart/instances", json={}, headers=agency
    )
    assert started.status_code == 201, started.json
    (task,) = client.get("/api/v1/tasks", headers=agency).json
    assert task["name"] == "Approve Invoice"
    url = f"/api/v1/tasks/{task['id']}/complete"
    done = client.post(url, json={"data": {"approved": True, "amount": 1200}}, headers=agency)
    assert done.status_code == 200, done.json
    detail = client.get(
        f"/api/v1/instances/{started.json['instance_id']}", headers=_h(tokens["owner"])
    ).json
    assert detail["status"] == "completed"
