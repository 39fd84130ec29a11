"""The task-work API: filters, pages and counts of GET /tasks; claim, takeover, drafts, comments."""

from __future__ import annotations

import pytest

from app.services.actor import SYSTEM
from app.services.identity import org
from tests.helpers import FORM_DATA, open_task, register, step

pytestmark = pytest.mark.both_databases


@pytest.fixture
def h(db):
    made = {}
    with db.write() as session:
        for username in ("gtzy", "gtzy_reviewer", "scjg", "center", "auditor"):
            token = org.create_token(session, SYSTEM, username)
            made[username] = {"Authorization": f"Bearer {token}"}
    return made


def _agency_task(db, case_no: str = "（2026）苏0813行诉前12号") -> int:
    instance_id = register(db, court_case_no=case_no)
    step(db, instance_id, "center", "register_materials")
    return open_task(db, instance_id).id


def test_list_filters_pages_with_a_link_and_counts(client, db, h, clock):
    first = _agency_task(db)
    clock.set("2026-10-12T10:00:00+08:00")
    second = _agency_task(db, "（2026）苏0813行诉前31号")
    listed = client.get("/api/v1/tasks?limit=1", headers=h["gtzy"])
    assert [t["id"] for t in listed.json] == [first]
    assert listed.json[0]["process_name"] == "法院诉前移送调处"
    assert listed.json[0]["claimed_by"] is None
    following = listed.headers["Link"].split(">")[0].lstrip("<")
    assert [t["id"] for t in client.get(following, headers=h["gtzy"]).json] == [second]
    assert "Link" not in client.get(following, headers=h["gtzy"]).headers
    overdue = client.get("/api/v1/tasks?overdue=1", headers=h["gtzy"]).json
    assert [t["id"] for t in overdue] == [first]
    searched = client.get("/api/v1/tasks?q=诉前31号", headers=h["gtzy"]).json
    assert [t["id"] for t in searched] == [second]
    counts = client.get("/api/v1/tasks/counts", headers=h["gtzy"]).json
    assert (counts["total"], counts["overdue"], counts["due_soon"], counts["mine"]) == (2, 1, 1, 0)
    bad = client.get("/api/v1/tasks?due_within=abc&overdue=maybe", headers=h["gtzy"])
    assert bad.status_code == 400 and set(bad.json["errors"]) == {"due_within", "overdue"}
    assert client.get("/api/v1/tasks?ovredue=1", headers=h["gtzy"]).status_code == 400


def test_claim_takeover_and_completion_through_the_api(client, db, h):
    task_id = _agency_task(db)
    claimed = client.post(f"/api/v1/tasks/{task_id}/claim", headers=h["gtzy"])
    assert claimed.status_code == 200 and claimed.json["claimed_by"]["username"] == "gtzy"
    listed = client.get("/api/v1/tasks", headers=h["gtzy_reviewer"]).json
    assert listed[0]["claimed_by"]["name"].endswith("（洪泽区自然资源和规划局）")
    refused = client.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": FORM_DATA["agency_reply"]},
        headers=h["gtzy_reviewer"],
    )  # fmt: skip
    assert refused.status_code == 403 and "请先接手" in refused.json["error"]
    no_reason = client.post(
        f"/api/v1/tasks/{task_id}/takeover", json={}, headers=h["gtzy_reviewer"]
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json["errors"]
    taken = client.post(
        f"/api/v1/tasks/{task_id}/takeover", json={"reason": "原承办人休假"},
        headers=h["gtzy_reviewer"],
    )  # fmt: skip
    assert taken.json["claimed_by"]["username"] == "gtzy_reviewer"
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=h["scjg"]).status_code == 404
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=h["auditor"]).status_code == 403
    done = client.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": FORM_DATA["agency_reply"]},
        headers=h["gtzy_reviewer"],
    )  # fmt: skip
    assert done.status_code == 200
    again = client.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": FORM_DATA["agency_reply"]},
        headers=h["gtzy"],
    )  # fmt: skip
    assert again.status_code == 409
    assert "钱敏（洪泽区自然资源和规划局）于 2026-09-30 10:00" in again.json["error"]


def test_a_draft_round_trips_and_comments_follow_the_read_rule(client, db, h):
    task_id = _agency_task(db)
    url = f"/api/v1/tasks/{task_id}/draft"
    assert client.get(url, headers=h["gtzy"]).json == {"data": None, "saved_at": None}
    saved = client.put(url, json={"data": {"liaison": "刘洋"}}, headers=h["gtzy"])
    assert saved.status_code == 200 and saved.json["data"] == {"liaison": "刘洋"}
    assert client.get(url, headers=h["gtzy"]).json["data"] == {"liaison": "刘洋"}
    assert client.get(url, headers=h["gtzy_reviewer"]).json["data"] is None
    bad = client.put(url, json={"data": {"nope": 1}}, headers=h["gtzy"])
    assert bad.status_code == 400 and "nope" in bad.json["errors"]
    assert client.put(url, json={"data": []}, headers=h["gtzy"]).status_code == 400
    assert client.get(url, headers=h["scjg"]).status_code == 404

    comments = f"/api/v1/tasks/{task_id}/comments"
    added = client.post(comments, json={"body": "请注意原告诉求"}, headers=h["center"])
    assert added.status_code == 201 and added.json["author"] == "center"
    assert [c["body"] for c in client.get(comments, headers=h["gtzy"]).json] == ["请注意原告诉求"]
    assert client.get(comments, headers=h["scjg"]).status_code == 404
    assert client.post(comments, json={"body": ""}, headers=h["gtzy"]).status_code == 400


def test_a_comment_stays_in_the_instance_history_for_the_tasks_readers(client, db, h):
    from tests.test_web import login

    task_id = _agency_task(db)
    client.post(
        f"/api/v1/tasks/{task_id}/comments", json={"body": "原告同意调解"}, headers=h["gtzy"]
    )
    instance_id = _instance_of(db, task_id)
    login(client, "center")
    page = client.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert "办理意见：原告同意调解" in page


def _instance_of(db, task_id: int) -> int:
    from app.models import TaskRecord

    with db.read() as session:
        return session.get(TaskRecord, task_id).instance_id
