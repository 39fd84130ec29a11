"""The JSON API contract (token auth)."""

from __future__ import annotations

import io
import json

import docx
import pytest

from app.services.actor import SYSTEM
from app.services.identity import org
from tests.helpers import CASE, FORM_DATA

pytestmark = pytest.mark.both_databases


@pytest.fixture
def tokens(db):
    made = {}
    with db.write() as session:
        for username in ("center", "gtzy", "scjg", "auditor", "court"):
            made[username] = org.create_token(session, SYSTEM, username)
    return made


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _new_case(client, tokens, **overrides):
    response = client.post(
        "/api/v1/cases", json={**CASE, **overrides}, headers=_h(tokens["center"])
    )
    assert response.status_code == 201, response.json
    return response.json


def _only_task(client, token):
    tasks = client.get("/api/v1/tasks", headers=_h(token)).json
    assert len(tasks) == 1, tasks
    return tasks[0]


def test_create_case_starts_mediation_with_a_center_task(client, tokens):
    body = _new_case(client, tokens)
    assert set(body) == {"id", "case_no", "instance_id"}
    task = _only_task(client, tokens["center"])
    assert task["bpmn_id"] == "register_materials"
    assert task["instance_id"] == body["instance_id"]
    assert task["case_id"] == body["id"]
    assert {"id", "name", "due_at", "overdue", "provisional"} <= set(task)


def test_missing_token_and_bad_token_are_401(client, tokens):
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.get("/api/v1/tasks", headers=_h("hj_nope")).status_code == 401


def test_court_token_may_not_read_tasks_or_create_cases(client, tokens):
    assert client.get("/api/v1/tasks", headers=_h(tokens["court"])).status_code == 403
    calendar = "/api/v1/calendar/deadline?from=2026-09-30&working_days=3"
    assert client.get(calendar, headers=_h(tokens["court"])).status_code == 403
    response = client.post("/api/v1/cases", json=CASE, headers=_h(tokens["court"]))
    assert response.status_code == 403


def test_bad_case_payload_is_400_with_field_errors_and_creates_nothing(client, tokens):
    response = client.post(
        "/api/v1/cases", json={**CASE, "plaintiff": "", "agency_unit": "NOPE"},
        headers=_h(tokens["center"]),
    )  # fmt: skip
    assert response.status_code == 400
    assert {"plaintiff", "agency_unit"} <= set(response.json["errors"])  # every problem at once
    response = client.post(
        "/api/v1/cases", json={**CASE, "plaintiff": ""}, headers=_h(tokens["center"])
    )
    assert response.status_code == 400
    assert "plaintiff" in response.json["errors"]
    assert client.get("/api/v1/tasks", headers=_h(tokens["center"])).json == []
    not_json = client.post("/api/v1/cases", data="x", headers=_h(tokens["center"]))
    assert not_json.status_code == 400


def test_duplicate_case_number_is_409(client, tokens):
    _new_case(client, tokens)
    response = client.post("/api/v1/cases", json=CASE, headers=_h(tokens["center"]))
    assert response.status_code == 409


def test_task_detail_includes_its_form_schema(client, tokens):
    _new_case(client, tokens)
    task = _only_task(client, tokens["center"])
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=_h(tokens["center"])).json
    assert detail["schema"]["type"] == "object"
    assert "materials_summary" in detail["schema"]["properties"]


def test_complete_task_status_codes(client, tokens):
    _new_case(client, tokens)
    task = _only_task(client, tokens["center"])
    url = f"/api/v1/tasks/{task['id']}/complete"
    bad = client.post(url, json={"data": {"notice_no": ""}}, headers=_h(tokens["center"]))
    assert bad.status_code == 400
    assert "materials_summary" in bad.json["errors"]
    other_unit = client.post(
        url, json={"data": FORM_DATA["register_materials"]}, headers=_h(tokens["gtzy"])
    )
    assert other_unit.status_code == 403
    missing = client.post(
        "/api/v1/tasks/99999/complete", json={"data": {}}, headers=_h(tokens["center"])
    )
    assert missing.status_code == 404
    ok = client.post(
        url, json={"data": FORM_DATA["register_materials"]}, headers=_h(tokens["center"])
    )
    assert ok.status_code == 200
    assert ok.json["status"] == "completed"
    again = client.post(
        url, json={"data": FORM_DATA["register_materials"]}, headers=_h(tokens["center"])
    )
    assert again.status_code == 409


def test_api_answers_in_plain_sorted_json_without_a_session_cookie(client, tokens):
    """Token requests neither read nor set the web pages' cookie session; bodies keep Chinese
    as UTF-8 with sorted keys, as before orjson wrote them."""
    created = _new_case(client, tokens)
    client.set_cookie("session", "not-a-signed-session")
    response = client.get(f"/api/v1/cases/{created['id']}", headers=_h(tokens["center"]))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    raw = response.get_data(as_text=True)
    assert CASE["plaintiff"] in raw  # not \\u-escaped
    assert raw == json.dumps(response.json, ensure_ascii=False, sort_keys=True,
                             separators=(",", ":")) + "\n"  # fmt: skip


def test_agency_sees_its_task_with_due_date_and_other_agency_does_not(client, tokens):
    _new_case(client, tokens)
    task = _only_task(client, tokens["center"])
    client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"data": FORM_DATA["register_materials"]},
        headers=_h(tokens["center"]),
    )
    agency_task = _only_task(client, tokens["gtzy"])
    assert agency_task["bpmn_id"] == "agency_reply"
    assert agency_task["due_at"].startswith("2026-10-10T15:59:59")
    assert agency_task["overdue"] is False
    assert agency_task["provisional"] is False
    assert client.get("/api/v1/tasks", headers=_h(tokens["scjg"])).json == []
    assert (
        client.get(f"/api/v1/tasks/{agency_task['id']}", headers=_h(tokens["scjg"])).status_code
        == 404
    )


def test_instance_and_document_endpoints(client, tokens):
    created = _new_case(client, tokens)
    task = _only_task(client, tokens["center"])
    client.post(
        f"/api/v1/tasks/{task['id']}/complete",
        json={"data": FORM_DATA["register_materials"]},
        headers=_h(tokens["center"]),
    )
    instance = client.get(
        f"/api/v1/instances/{created['instance_id']}", headers=_h(tokens["center"])
    ).json
    assert instance["status"] == "running"
    assert instance["definition"] == {
        "process_id": "pre_litigation_mediation",
        "version": 1,
        "name": instance["definition"]["name"],
        "sha256": instance["definition"]["sha256"],
    }
    assert [t["bpmn_id"] for t in instance["tasks"]] == ["register_materials", "agency_reply"]
    assert instance["tasks"][0]["data"]["notice_no"] == "洪调交〔2026〕7号"
    assert instance["timers"][0]["status"] == "waiting"
    (document,) = instance["documents"]
    assert document["kind"] == "assignment_notice"
    assert len(document["sha256"]) == 64
    response = client.get(f"/api/v1/documents/{document['id']}", headers=_h(tokens["center"]))
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(response.data)).paragraphs)
    assert "行政争议调处交办通知书" in text
    # another agency can see neither the instance nor its documents
    assert (
        client.get(
            f"/api/v1/instances/{created['instance_id']}", headers=_h(tokens["scjg"])
        ).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/documents/{document['id']}", headers=_h(tokens["scjg"])).status_code
        == 404
    )
    # the auditor reads everything
    assert (
        client.get(
            f"/api/v1/instances/{created['instance_id']}", headers=_h(tokens["auditor"])
        ).status_code
        == 200
    )


def test_calendar_deadline_endpoint(client, tokens):
    response = client.get(
        "/api/v1/calendar/deadline?from=2026-09-30&working_days=3", headers=_h(tokens["center"])
    )
    assert response.json["deadline"] == "2026-10-10"
    assert response.json["provisional"] is False
    response = client.get(
        "/api/v1/calendar/deadline?from=2026-12-30&working_days=3", headers=_h(tokens["center"])
    )
    assert response.json["provisional"] is True
    response = client.get(
        "/api/v1/calendar/deadline?from=2026-09-28&calendar_days=5", headers=_h(tokens["center"])
    )
    assert response.json["deadline"] == "2026-10-08"  # 10-03 falls in the holiday: rolls over
    bad = client.get(
        "/api/v1/calendar/deadline?from=nope&working_days=3", headers=_h(tokens["center"])
    )
    assert bad.status_code == 400
    both = client.get(
        "/api/v1/calendar/deadline?from=2026-09-30&working_days=3&calendar_days=3",
        headers=_h(tokens["center"]),
    )
    assert both.status_code == 400


def test_a_deadline_past_year_9999_or_the_limit_is_a_400_naming_the_field(client, tokens):
    late = client.get(
        "/api/v1/calendar/deadline?from=9999-12-30&working_days=5", headers=_h(tokens["center"])
    )
    # refused as a date outside the accepted years (1900-2199) before any deadline is counted
    assert late.status_code == 400 and "2199-12-31" in late.json["errors"]["from"][0]
    long = client.get(
        "/api/v1/calendar/deadline?from=2026-09-30&working_days=3651",
        headers=_h(tokens["center"]),
    )
    assert long.status_code == 400 and "working_days" in long.json["errors"]
