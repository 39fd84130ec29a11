"""Manual tasks and plain tasks are confirm steps: their lane's unit sees the diagram's
instructions (rendered over the process data) and a 确认 button, through the API and the page."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest

from app.services.actor import SYSTEM
from app.services.identity import org
from tests.test_web import login

pytestmark = pytest.mark.both_databases

SAMPLE = Path(__file__).resolve().parent / "samples" / "confirm_steps" / "confirm_steps.bpmn"
INSTRUCTIONS = "请核对纸质材料共 3 份（2026-09-30 清点），无误后确认。"


@pytest.fixture
def tokens(db):
    with db.write() as session:
        return {u: org.create_token(session, SYSTEM, u) for u in ("owner", "gtzy", "bureau")}


def _h(token):
    return {"Authorization": f"Bearer {token}"}


def _deploy_and_start(client, tokens) -> int:
    upload = client.post(
        "/api/v1/process-definitions",
        data={"file": (BytesIO(SAMPLE.read_bytes()), "confirm_steps.bpmn")},
        headers=_h(tokens["owner"]),
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.json
    started = client.post(
        "/api/v1/processes/confirm_steps/instances", json={}, headers=_h(tokens["gtzy"])
    )
    assert started.status_code == 201, started.json
    return started.json["instance_id"]


def test_manual_and_plain_tasks_are_confirmed_by_their_lane_through_the_api(client, tokens):
    instance_id = _deploy_and_start(client, tokens)
    agency, bureau = _h(tokens["gtzy"]), _h(tokens["bureau"])
    (task,) = client.get("/api/v1/tasks", headers=agency).json
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=agency).json
    assert detail["bpmn_id"] == "check_materials" and detail["confirm"] is True
    assert detail["instructions"] == INSTRUCTIONS  # augmented assignment and date.today() ran
    assert detail["schema"]["properties"] == {}
    assert client.get("/api/v1/tasks", headers=bureau).json == []  # the lane decides who
    extra = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": {"x": 1}}, headers=agency
    )
    assert extra.status_code == 400  # nothing to fill in
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}, headers=agency)
    assert done.status_code == 200, done.json
    (file_away,) = client.get("/api/v1/tasks", headers=bureau).json
    assert file_away["bpmn_id"] == "file_away"
    done = client.post(
        f"/api/v1/tasks/{file_away['id']}/complete", json={"data": {}}, headers=bureau
    )
    assert done.status_code == 200, done.json
    instance = client.get(f"/api/v1/instances/{instance_id}", headers=bureau).json
    assert instance["status"] == "completed"


def test_the_task_page_shows_the_instructions_and_a_confirm_button(client, tokens):
    instance_id = _deploy_and_start(client, tokens)
    (task,) = client.get("/api/v1/tasks", headers=_h(tokens["gtzy"])).json
    login(client, "gtzy")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert INSTRUCTIONS in page
    assert ">确认</button>" in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    confirmed = client.post(f"/tasks/{task['id']}", data={"csrf_token": token})
    assert confirmed.status_code == 302
    page = client.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert "归档" in page
