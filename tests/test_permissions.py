"""The permission table decides every route for every role: walk them all, and check a sample
of cells against an expectation written by hand."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from app.models import ROLES
from app.services.actor import SYSTEM, Actor
from app.services.identity import org
from app.services.identity import permissions as table
from app.services.identity.permissions import Action
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


def test_every_action_names_known_roles_and_a_chinese_refusal():
    for action in Action:
        assert table.ALLOWED[action] <= set(ROLES) | {"system"}, action
        assert table.REFUSALS[action], action


# written by hand from the ten mechanisms and the roles' duties, not from the table:
# (role, endpoint, method) -> may they?
EXPECTED = {
    ("auditor", "instances.audit_log", "GET"): True,
    ("auditor", "instances.audit_verify_start", "POST"): True,  # changes no record
    ("auditor", "api.complete_task", "POST"): False,  # read-only
    ("auditor", "tasks.task_page", "POST"): False,
    ("auditor", "modeler.page", "GET"): True,
    ("agency", "instances.audit_log", "GET"): False,
    ("agency", "tasks.task_page", "POST"): True,
    ("agency", "tasks.reassign", "POST"): False,  # only the unit's head hands work on
    ("agency", "modeler.page", "GET"): False,
    ("agency", "cases.start_for_case", "POST"): True,  # 诉中化解 started by the agency
    ("agency", "api.receive_message", "POST"): False,
    ("agency_head", "tasks.reassign", "POST"): True,
    ("agency_head", "tasks.manage_deadline", "POST"): False,
    ("center", "tasks.manage_deadline", "POST"): True,  # 中止/延长 by the center
    ("center", "cases.register", "POST"): True,  # 登记法院移送案件
    ("center", "instances.outage_report", "GET"): True,
    ("center", "dashboard.evaluate", "POST"): False,
    ("center", "api.receive_message", "POST"): True,  # process messages; court events: the court
    ("bureau", "dashboard.evaluate", "POST"): True,  # 败诉率考核 by the bureau
    ("bureau", "cases.record_reconsideration", "POST"): True,
    ("bureau", "modeler.deploy", "POST"): False,
    ("bureau", "tasks.bulk", "POST"): True,  # 催办
    ("leader", "dashboard.dashboard", "GET"): True,
    ("leader", "cases.register", "POST"): False,
    ("process_owner", "modeler.deploy", "POST"): True,
    ("process_owner", "versions.migrate", "POST"): True,
    ("process_owner", "instances.audit_log", "GET"): False,
    ("court", "api.receive_message", "POST"): True,
    ("court", "api.list_tasks", "GET"): False,  # the court's token only sends messages
    ("court", "api.get_case", "GET"): False,
    ("legal_adviser", "tasks.task_page", "POST"): True,
    ("legal_adviser", "cases.register", "GET"): False,
    ("admin", "modeler.deploy", "POST"): True,
    # 系统管理: accounts, units, tokens, settings and holidays are the administrator's alone
    ("admin", "admin.users", "POST"): True,
    ("admin", "admin.user_page", "POST"): True,
    ("admin", "admin.settings", "POST"): True,
    ("admin", "admin.tokens", "POST"): True,
    ("admin", "admin.holidays", "POST"): True,
    ("bureau", "admin.users", "GET"): False,  # the bureau runs the mechanisms, not accounts
    ("bureau_head", "admin.settings", "POST"): False,
    ("process_owner", "admin.tokens", "GET"): False,
    ("auditor", "admin.users", "GET"): False,
    ("auditor", "admin.user_page", "POST"): False,
    ("center", "admin.holidays", "POST"): False,
    ("agency_head", "admin.revoke_token", "POST"): False,
}


@pytest.mark.parametrize("cell", sorted(EXPECTED), ids="-".join)
def test_a_sample_of_cells_matches_the_hand_written_expectation(cell, app, db):
    role, endpoint, method = cell
    url = next(u for e, m, u in _routes(app) if e == endpoint and m == method)
    if url.startswith("/api/"):
        with db.write() as session:
            token = org.create_token(session, SYSTEM, USER_OF[role])
        response = app.test_client().open(
            url, method=method, json={}, headers={"Authorization": f"Bearer {token}"}
        )
    else:
        client = _logged_in(app, role)
        response = client.open(url, method=method, data={"csrf_token": _csrf(client)})
    assert (response.status_code != 403) == EXPECTED[cell], response.status_code


def test_services_refuse_what_the_table_refuses_in_chinese(db):
    """The services ask the same table: a page or API cannot be the only guard."""
    from datetime import date

    from app.errors import Forbidden
    from app.services.court import cases, reconsiderations
    from app.services.reporting import evaluation, stats

    agency = Actor("gtzy", "agency")
    year = stats.Period(date(2026, 1, 1), date(2026, 12, 31))
    with pytest.raises(Forbidden, match="司法局"):
        evaluation.evaluate(db, agency, year)
    with pytest.raises(Forbidden, match="调处中心"):
        cases.register(db, Actor("bureau", "bureau"), {})
    with pytest.raises(Forbidden, match="司法局"):
        reconsiderations.record(db, Actor("center", "center"), {})
    assert evaluation.evaluate(db, SYSTEM, year) is not None  # the scheduled evaluation


def _csrf(client: FlaskClient) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _logged_in(app, role: str) -> FlaskClient:
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
    return client


@pytest.mark.parametrize("role", sorted(ROLES))
def test_web_routes_follow_the_table_for(role, app, db):
    client = _logged_in(app, role)
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
