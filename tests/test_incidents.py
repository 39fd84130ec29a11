"""A diagram that deploys never gives a 500 when started or stepped: a run-time error stops the
instance in an incident (element, Chinese reason, time) that process owners list and retry
after correcting the data or migrating, and that auditors see in the instance's history."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import Incident, ProcessInstance
from app.services.actor import SYSTEM
from app.services.execution import instances, timer_pass
from app.services.identity import org
from tests.test_web import login

pytestmark = pytest.mark.both_databases

DIAGRAM = Path(__file__).resolve().parent / "samples" / "checks" / "runtime_failure.bpmn"
DRAFT = {"revision_note": "补充证据", "proposed_decision": "罚款五千元", "abandon": False}


@pytest.fixture
def tokens(db):
    with db.write() as session:
        return {u: org.create_token(session, SYSTEM, u) for u in ("owner", "gtzy")}


def _h(token):
    return {"Authorization": f"Bearer {token}"}


def _deploy(client, token, content: bytes) -> None:
    data = {"file": (BytesIO(content), "incident_demo.bpmn")}
    response = client.post(
        "/api/v1/process-definitions", data=data, headers=_h(token),
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code in (200, 201), response.json


def _start(client, tokens, data) -> int:
    response = client.post(
        "/api/v1/processes/incident_demo/instances", json={"data": data}, headers=_h(tokens["gtzy"])
    )
    assert response.status_code == 201, response.json
    return response.json["instance_id"]


def _status(client, tokens, instance_id) -> str:
    return client.get(f"/api/v1/instances/{instance_id}", headers=_h(tokens["owner"])).json[
        "status"
    ]


def _incidents(client, tokens) -> list[dict]:
    response = client.get("/api/v1/incidents", headers=_h(tokens["owner"]))
    assert response.status_code == 200
    return response.json


def test_a_failing_script_at_start_is_an_incident_retried_with_corrected_data(client, tokens):
    _deploy(client, tokens["owner"], DIAGRAM.read_bytes())
    instance_id = _start(client, tokens, {})  # no "fine": the first script fails
    assert _status(client, tokens, instance_id) == "incident"
    [incident] = _incidents(client, tokens)
    assert incident["instance_id"] == instance_id
    assert incident["element_id"] == "double_fine" and incident["element_name"] == "罚款加倍"
    assert "fine" in incident["message"] and "尚未赋值" in incident["message"]
    assert "NameError" in incident["detail"] or "not defined" in incident["detail"]
    assert incident["occurred_at"]

    again = client.post(
        f"/api/v1/incidents/{incident['id']}/retry", json={}, headers=_h(tokens["owner"])
    )
    assert again.status_code == 400  # still failing: nothing changes
    assert "重试仍然失败" in again.json["error"]
    assert _status(client, tokens, instance_id) == "incident"

    fixed = client.post(
        f"/api/v1/incidents/{incident['id']}/retry",
        json={"data": {"fine": 5000}, "reason": "启动时漏填罚款金额"},
        headers=_h(tokens["owner"]),
    )
    assert fixed.status_code == 200, fixed.json
    assert fixed.json["resolved_by"] == "owner"
    assert _status(client, tokens, instance_id) == "running"
    assert _incidents(client, tokens) == []
    (task,) = client.get("/api/v1/tasks", headers=_h(tokens["gtzy"])).json
    assert task["bpmn_id"] == "revise_draft"


def test_a_failure_after_a_submission_keeps_the_submission(client, tokens, db):
    _deploy(client, tokens["owner"], DIAGRAM.read_bytes())
    instance_id = _start(client, tokens, {"fine": 100})
    (task,) = client.get("/api/v1/tasks", headers=_h(tokens["gtzy"])).json
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": DRAFT}, headers=_h(tokens["gtzy"])
    )
    assert done.status_code == 200, done.json  # "words" is undefined after it: not a 400/500
    assert _status(client, tokens, instance_id) == "incident"
    detail = client.get(f"/api/v1/instances/{instance_id}", headers=_h(tokens["owner"])).json
    assert [t["status"] for t in detail["tasks"]] == ["completed"]
    [incident] = _incidents(client, tokens)
    assert incident["element_id"] == "note_length"
    fixed = client.post(
        f"/api/v1/incidents/{incident['id']}/retry",
        json={"data": {"words": 2}, "reason": "补充字数"},
        headers=_h(tokens["owner"]),
    )
    assert fixed.status_code == 200, fixed.json
    assert _status(client, tokens, instance_id) == "completed"


def test_migrating_to_a_fixed_version_then_retrying_resolves_it(client, tokens):
    content = DIAGRAM.read_bytes()
    _deploy(client, tokens["owner"], content)
    instance_id = _start(client, tokens, {})
    [incident] = _incidents(client, tokens)
    _deploy(client, tokens["owner"], content.replace(b"fine * 2", b"2 * fine if fine else 0")
            .replace(b"doubled = ", b"fine = 0\ndoubled = "))  # fmt: skip
    login(client, "owner")
    page = client.get("/processes/incident_demo/migrate?to=2").get_data(as_text=True)
    assert f'value="{instance_id}"' in page  # an instance in an incident may move
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    moved = client.post(
        "/processes/incident_demo/migrate?to=2",
        data={"instance_id": str(instance_id), "csrf_token": token},
    )
    assert "已迁移" in moved.get_data(as_text=True)
    fixed = client.post(
        f"/api/v1/incidents/{incident['id']}/retry", json={}, headers=_h(tokens["owner"])
    )
    assert fixed.status_code == 200, fixed.json
    assert fixed.json["version"] == 2
    assert _status(client, tokens, instance_id) == "running"


def test_owners_see_the_list_page_and_auditors_the_history(client, tokens, db):
    _deploy(client, tokens["owner"], DIAGRAM.read_bytes())
    instance_id = _start(client, tokens, {})
    login(client, "owner")
    page = client.get("/incidents").get_data(as_text=True)
    assert "罚款加倍" in page and f"#{instance_id}" in page and "重试" in page
    client.post(
        "/logout", data={"csrf_token": page.split('name="csrf_token" value="')[1].split('"')[0]}
    )
    login(client, "auditor")
    assert client.get("/incidents").status_code == 403
    history = client.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert "流程故障" in history and "尚未赋值" in history
    assert client.get("/api/v1/incidents", headers=_h(tokens["gtzy"])).status_code == 403
    with db.read() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance.status == "incident"
        assert session.scalars(select(Incident)).one().resolved_at is None


def test_a_failure_after_a_timer_fires_is_an_incident_not_a_failed_pass(client, tokens, db, clock):
    content = (DIAGRAM.parent / "timer_failure.bpmn").read_bytes()
    _deploy(client, tokens["owner"], content)
    started = client.post(
        "/api/v1/processes/timer_incident_demo/instances", json={}, headers=_h(tokens["gtzy"])
    )
    assert started.status_code == 201, started.json
    instance_id = started.json["instance_id"]
    clock.set("2026-10-20T10:00:00+08:00")  # past the five working days
    report = timer_pass.run_pass(db)
    assert report.instances == 1
    assert _status(client, tokens, instance_id) == "incident"
    [incident] = _incidents(client, tokens)
    assert incident["element_id"] == "late_fee" and "daily_rate" in incident["message"]
    (task,) = client.get("/api/v1/tasks", headers=_h(tokens["gtzy"])).json  # still open
    assert task["bpmn_id"] == "revise_draft"
    fixed = client.post(
        f"/api/v1/incidents/{incident['id']}/retry",
        json={"data": {"daily_rate": 10}, "reason": "补充日费率"},
        headers=_h(tokens["owner"]),
    )
    assert fixed.status_code == 200, fixed.json
    assert _status(client, tokens, instance_id) == "running"


def test_incidents_and_retries_leave_the_audit_chain_verifiable(client, tokens, db):
    """Each stop and retry is one transaction with its audit event carrying the instance's
    state: the deep verification finds nothing amiss."""
    from click.testing import CliRunner

    from app.cli import main

    _deploy(client, tokens["owner"], DIAGRAM.read_bytes())
    instance_id = _start(client, tokens, {})
    [incident] = _incidents(client, tokens)
    assert client.get("/api/v1/tasks", headers=_h(tokens["gtzy"])).json == []  # stopped
    fixed = client.post(
        f"/api/v1/incidents/{incident['id']}/retry",
        json={"data": {"fine": 1}, "reason": "补充罚款金额"},
        headers=_h(tokens["owner"]),
    )
    assert fixed.status_code == 200
    result = CliRunner().invoke(main, ["audit", "verify", "--deep"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "审计链完整" in result.output
    assert _status(client, tokens, instance_id) == "running"


def test_a_failure_after_a_court_message_is_delivered_is_an_incident(client, tokens, db):
    _deploy(client, tokens["owner"], (DIAGRAM.parent / "message_failure.bpmn").read_bytes())
    started = client.post(
        "/api/v1/processes/message_incident_demo/instances", json={}, headers=_h(tokens["gtzy"])
    )
    assert started.status_code == 201, started.json
    instance_id = started.json["instance_id"]
    with db.write() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instances.deliver_message(session, instance, "judgment", {"outcome": "败诉"})
    assert _status(client, tokens, instance_id) == "incident"
    [incident] = _incidents(client, tokens)
    assert incident["element_id"] == "count_days"
    assert "performance_days" in incident["message"]
