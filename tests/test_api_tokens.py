"""API tokens: what a token may do is reused between requests, whether it is live never is."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import ApiToken, TaskRecord, User
from app.services.actor import SYSTEM
from app.services.identity import org
from tests.helpers import open_task, register, step

pytestmark = pytest.mark.both_databases


def _token(db, username: str) -> dict[str, str]:
    with db.write() as session:
        return {"Authorization": f"Bearer {org.create_token(session, SYSTEM, username)}"}


def _task_ids(client, headers) -> list[int]:
    response = client.get("/api/v1/tasks", headers=headers)
    assert response.status_code == 200
    return [t["id"] for t in response.get_json()]


def test_a_token_revoked_by_another_process_is_refused_on_the_next_request(client, db):
    headers = _token(db, "center")
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200  # actor now cached
    with db.write() as session:  # the CLI or another worker, not this app's code path
        row = session.scalar(select(ApiToken))
        row.revoked_at = row.created_at
    response = client.get("/api/v1/tasks", headers=headers)
    assert response.status_code == 401 and "已撤销" in response.get_json()["error"]


def test_a_deactivated_users_token_is_refused_on_the_next_request(client, db):
    headers = _token(db, "center")
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    with db.write() as session:
        session.scalar(select(User).where(User.username == "center")).active = False
    assert client.get("/api/v1/tasks", headers=headers).status_code == 401


def test_a_substitute_named_through_the_api_acts_at_once_and_stops_the_next_day(client, db, clock):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    task = open_task(db, instance_id)  # the agency reply, for GTZY staff
    with db.write() as session:
        session.get(TaskRecord, task.id).role = "agency_head"  # only the head may do it
    reviewer, head = _token(db, "gtzy_reviewer"), _token(db, "gtzy_head")
    assert _task_ids(client, reviewer) == []  # the reviewer's actor is cached without it
    named = client.post(
        "/api/v1/substitutes",
        json={
            "substitute": "gtzy_reviewer",
            "starts_on": "2026-09-30",
            "ends_on": "2026-09-30",
            "reason": "出差",
        },
        headers=head,
    )
    assert named.status_code == 201
    assert _task_ids(client, reviewer) == [task.id]
    clock.set("2026-10-08T10:00:00+08:00")  # the substitution has ended
    assert _task_ids(client, reviewer) == []
