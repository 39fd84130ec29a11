"""The OpenAPI document describes the whole API, and the API holds to it."""

from __future__ import annotations

from flask import Flask

from app.services.actor import SYSTEM
from app.services.identity import org
from app.web import openapi


def test_every_api_route_is_in_the_document(app):
    undocumented = openapi.api_routes(app) - set(openapi.OPERATIONS)
    assert undocumented == set()


def test_the_document_is_public_and_lists_only_served_routes(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    listed = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert listed == openapi.api_routes(app)
    assert doc["paths"]["/tasks/{task_id}/complete"]["post"]["responses"].keys() >= {
        "200", "400", "401", "403", "404", "409"
    }  # fmt: skip
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_a_documented_operation_without_a_route_is_left_out():
    bare = Flask("bare")  # e.g. before another branch's route is merged
    bare.register_blueprint(openapi.bp)
    assert list(openapi.document(bare)["paths"]) == ["/openapi.json"]


def _token(db, username="center"):
    with db.write() as session:
        return {"Authorization": f"Bearer {org.create_token(session, SYSTEM, username)}"}


def test_a_body_that_breaks_the_schema_is_400_with_the_field_named(client, db):
    headers = _token(db, "gtzy_head")
    response = client.post(
        "/api/v1/tasks/bulk", json={"action": "remind", "task_ids": ["1"]}, headers=headers
    )
    assert response.status_code == 400
    assert "task_ids" in response.get_json()["errors"]
    response = client.post("/api/v1/tasks/1/deadline", json={"reason": 5}, headers=_token(db))
    assert response.status_code == 400
    assert set(response.get_json()["errors"]) == {"action", "reason"}


def test_an_unknown_query_parameter_is_400_not_ignored(client, db):
    response = client.get("/api/v1/stats/loss-rate?form=2026-01-01", headers=_token(db))
    assert response.status_code == 400
    assert "form" in response.get_json()["error"]


def test_an_id_beyond_the_database_range_is_404(client, db):
    response = client.get(f"/api/v1/tasks/{2**63}", headers=_token(db))
    assert response.status_code == 404
