"""POST /api/v1/process-definitions: diagrams from other modelers deploy and run; refusals are
JSON 400s that change nothing."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import clock
from app.models import ProcessDefinition, ProcessInstance
from app.services.actor import SYSTEM
from app.services.identity import org
from tests.versioning import REPLY_DEADLINE, shipped

MODELERS = Path(__file__).resolve().parent / "samples" / "modelers"
URL = "/api/v1/process-definitions"


@pytest.fixture
def tokens(db):
    with db.write() as session:
        return {u: org.create_token(session, SYSTEM, u) for u in ("owner", "gtzy", "auditor")}


def _h(token):
    return {"Authorization": f"Bearer {token}"}


def _upload(client, token, content: bytes, filename: str = "diagram.bpmn", **form):
    data = {"file": (BytesIO(content), filename), **form}
    return client.post(URL, data=data, headers=_h(token), content_type="multipart/form-data")


def _versions(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition))


def _run_recheck(client, tokens, process_id: str) -> int:
    """Start the uploaded process as an agency and work both tasks through the API."""
    agency = _h(tokens["gtzy"])
    started = client.post(f"/api/v1/processes/{process_id}/instances", json={}, headers=agency)
    assert started.status_code == 201, started.json
    instance_id = started.json["instance_id"]
    (task,) = client.get("/api/v1/tasks", headers=agency).json
    assert task["bpmn_id"] == "revise_draft"
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=agency).json["schema"]["properties"]
    draft = {"revision_note": "补充证据", "proposed_decision": "罚款五千元", "abandon": False}
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": draft}, headers=agency)
    assert done.status_code == 200, done.json
    (review,) = client.get("/api/v1/tasks", headers=agency).json
    assert review["bpmn_id"] == "legal_review"
    # working_days(received(), 5) from 09-30: 10-08, 10-09, 10-10 (make-up day), 10-12, 10-13
    due = clock.to_local(datetime.fromisoformat(review["due_at"])).date().isoformat()
    assert due == "2026-10-13"
    opinion = {"review_result": "passed", "review_opinion": "同意", "reviewer": "王五",
               "reviewed_on": "2026-10-09"}  # fmt: skip
    done = client.post(
        f"/api/v1/tasks/{review['id']}/complete", json={"data": opinion}, headers=agency
    )
    assert done.status_code == 200, done.json
    detail = client.get(f"/api/v1/instances/{instance_id}", headers=agency).json
    assert detail["status"] == "completed"
    return instance_id


def test_a_diagram_saved_by_camunda_modeler_deploys_and_runs(client, tokens):
    content = (MODELERS / "camunda_modeler.bpmn").read_bytes()
    assert b'exporter="Camunda Modeler"' in content and b"<camunda:properties>" in content
    response = _upload(client, tokens["owner"], content, "recheck.bpmn", comment="Camunda 版")
    assert response.status_code == 201, response.json
    assert response.json["process_id"] == "enforcement_recheck_camunda"
    assert response.json["version"] == 1
    _run_recheck(client, tokens, "enforcement_recheck_camunda")


def test_a_diagram_saved_by_spiffarena_deploys_and_runs_its_scripts(client, tokens, db):
    content = (MODELERS / "spiffarena.bpmn").read_bytes()
    response = _upload(client, tokens["owner"], content, "recheck.bpmn")
    assert response.status_code == 201, response.json
    instance_id = _run_recheck(client, tokens, "enforcement_recheck_spiff")
    with db.read() as session:
        state = session.get(ProcessInstance, instance_id).state
    assert "复审：补充证据" in state  # the postScript ran in the sandbox


def test_uploading_the_same_file_again_deploys_nothing(client, tokens, db):
    content = (MODELERS / "spiffarena.bpmn").read_bytes()
    assert _upload(client, tokens["owner"], content).status_code == 201
    count = _versions(db)
    again = _upload(client, tokens["owner"], content)
    assert again.status_code == 200
    assert again.json["version"] == 1 and again.json["unchanged"] is True
    assert _versions(db) == count


def test_a_new_version_of_a_shipped_process(client, tokens):
    content = shipped("pre_litigation_mediation").replace(
        REPLY_DEADLINE, "working_days(received(), 5)"
    )
    response = _upload(client, tokens["owner"], content.encode(), comment="答复期限改为5个工作日")
    assert response.status_code == 201
    assert response.json == {
        "process_id": "pre_litigation_mediation", "version": 2,
        "sha256": response.json["sha256"], "unchanged": False, "warnings": [], "problems": [],
    }  # fmt: skip


def _unknown_field() -> bytes:
    return (
        shipped("pre_litigation_mediation")
        .replace(REPLY_DEADLINE, "working_days(notise_date, 3)")
        .encode()
    )


REFUSALS = {
    "malformed XML": (b"<bpmn:definitions><unclosed>", "x.bpmn", "XML 格式错误"),
    "a JSON file": (b'{"process": "x"}', "x.bpmn", "不是 BPMN 文件"),
    "a PNG file": (b"\x89PNG\r\n\x1a\n" + bytes(64), "x.png", "请上传 .bpmn 文件"),
    "XML that is not BPMN": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
                             "x.bpmn", "不是 BPMN 文件"),
    "an oversized file": (b"<?xml version='1.0'?>" + b" " * (3 * 1024 * 1024), "x.bpmn",
                          "文件过大"),
    "a DTD": (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>', "x.bpmn",
              "不允许 DTD"),
}  # fmt: skip


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_refusals_are_json_400s_that_change_nothing(client, tokens, db, case):
    content, filename, message = REFUSALS[case]
    before = _versions(db)
    response = _upload(client, tokens["owner"], content, filename)
    assert response.status_code == 400
    assert response.is_json
    assert any(message in e["message"] for e in response.json["errors"]), response.json
    assert _versions(db) == before


def test_validation_errors_name_the_element(client, tokens, db):
    before = _versions(db)
    response = _upload(client, tokens["owner"], _unknown_field())
    assert response.status_code == 400
    assert response.json["error"] == "流程定义未通过校验"
    [error] = response.json["errors"]
    assert error["element_id"] == "agency_reply_deadline"
    assert "notise_date" in error["message"]
    assert _versions(db) == before


def test_a_missing_file_field_is_a_400(client, tokens):
    response = client.post(URL, data={"comment": "x"}, headers=_h(tokens["owner"]))
    assert response.status_code == 400
    assert "file" in response.json["error"]


def test_a_body_over_the_request_limit_is_a_json_413(client, tokens):
    content = b"<" + b" " * (65 * 1024 * 1024)
    response = _upload(client, tokens["owner"], content)
    assert response.status_code == 413
    assert response.json["error"] == "请求体过大（单次提交上限 64 MiB）"


@pytest.mark.parametrize("user", ["gtzy", "auditor"])
def test_only_process_owners_deploy(client, tokens, db, user):
    content = (MODELERS / "spiffarena.bpmn").read_bytes()
    before = _versions(db)
    assert _upload(client, tokens[user], content).status_code == 403
    assert _versions(db) == before
