"""The permission table decides every route for every role: walk them all."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from app.models import ROLES
from app.services.actor import SYSTEM
from app.services.identity import org
from app.web import permissions

# a demo user of every role
USER_OF = {
    "center": "center", "agency": "gtzy", "agency_head": "gtzy_head",
    "legal_adviser": "gtzy_lawyer", "bureau": "bureau", "bureau_head": "bureau_head",
    "leader": "leader", "auditor": "auditor", "process_owner": "owner", "admin": "admin",
    "court": "court",
}  # fmt: skip


def _routes(app):
    """(endpoint, method, url) for every route, ids pointing at records that do not exist."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in permissions.PUBLIC:
            continue
        url = re.sub(r"<int:[a-z_]+>", "999999", rule.rule)
        url = re.sub(r"<[a-z_:]+>", "nope", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def test_every_route_is_in_the_table(app):
    missing = {e for e, _, _ in _routes(app) if e not in permissions.TABLE}
    assert missing == set()


def test_every_role_in_the_table_exists():
    used = set().union(*(r | w for r, w in permissions.TABLE.values()))
    assert used <= set(ROLES)


def _csrf(client: FlaskClient) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_web_routes_follow_the_table_for(role, app, db):
    client = app.test_client()
    username = USER_OF[role]
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": f"{username}-Demo2026",
            "csrf_token": _csrf(client),
        },
    )
    assert response.status_code == 302
    token = _csrf(client)
    for endpoint, method, url in _routes(app):
        if url.startswith("/api/") or endpoint == "auth.logout":
            continue
        response = client.open(url, method=method, data={"csrf_token": token})
        expected = permissions.allowed(endpoint, method, role)
        assert (response.status_code == 403) == (not expected), (
            role,
            method,
            url,
            response.status_code,
        )


@pytest.mark.parametrize("role", sorted(ROLES))
def test_api_routes_follow_the_table_for(role, app, db):
    with db.write() as session:
        token = org.create_token(session, SYSTEM, USER_OF[role])
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for endpoint, method, url in _routes(app):
        if not url.startswith("/api/"):
            continue
        response = client.open(url, method=method, json={}, headers=headers)
        expected = permissions.allowed(endpoint, method, role)
        assert (response.status_code == 403) == (not expected), (
            role,
            method,
            url,
            response.status_code,
        )
