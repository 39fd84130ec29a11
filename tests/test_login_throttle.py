"""Per-IP login throttling: many failures from one address, across accounts, block it."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from app.models import AuditEvent
from app.web.factory import create_app
from tests.test_web import _csrf

pytestmark = pytest.mark.both_databases

ATTACKER, NEIGHBOUR = "192.0.2.10", "198.51.100.7"  # documentation addresses, never contacted


def _client(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.fixture
def strict_app(settings, db):
    def make(**changes):
        application = create_app(dataclasses.replace(settings, login_ip_max_failures=3, **changes))
        application.config.update(TESTING=True)
        return application

    return make


def _login(client, username, password, **headers):
    token = _csrf(client, "/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        headers=headers,
    )


def _actions(db):
    with db.read() as session:
        return [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_failures_across_accounts_block_the_address_with_one_audit_event(strict_app, db, clock):
    app = strict_app()
    attacker = _client(app, ATTACKER)
    for username in ("gtzy", "scjg", "center"):  # one guess each: no account is locked
        assert _login(attacker, username, "guess-123").status_code == 200
    refused = _login(attacker, "bureau", "guess-789")
    assert refused.status_code == 429
    assert "登录失败次数过多" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"] == "900"
    assert _login(attacker, "scjg", "guess-456").status_code == 429
    actions = _actions(db)
    assert actions.count("login.ip_blocked") == 1 and actions.count("login.failed") == 3
    neighbour = _client(app, NEIGHBOUR)
    assert _login(neighbour, "bureau", "bureau-Demo2026").status_code == 302
    clock.set("2026-09-30T10:16:00+08:00")  # the block lasts 15 minutes
    assert _login(attacker, "bureau", "guess-789").status_code == 200


def test_the_right_password_still_logs_in_from_a_blocked_address(strict_app, db):
    """An office behind one address: a colleague's typing (or an attacker) blocks it, and each
    owner of an account still logs in with their own password."""
    app = strict_app()
    office = _client(app, ATTACKER)
    for username in ("gtzy", "scjg", "center"):
        _login(office, username, "guess-123")
    assert _login(office, "bureau", "guess-789").status_code == 429  # blocked
    colleague = _client(app, ATTACKER)
    response = _login(colleague, "bureau", "bureau-Demo2026")
    assert response.status_code == 302
    assert colleague.get("/").status_code == 200
    assert _actions(db).count("login.ip_blocked") == 1


def test_guesses_from_a_blocked_address_still_lock_the_account(strict_app, db):
    app = strict_app()
    attacker = _client(app, ATTACKER)
    for username in ("gtzy", "scjg", "center"):
        _login(attacker, username, "guess-123")
    for n in range(5):  # five wrong passwords for one account, all refused as blocked
        assert _login(attacker, "bureau", f"guess-{n}00").status_code == 429
    assert _login(attacker, "bureau", "bureau-Demo2026").status_code == 429  # locked now
    assert _login(_client(app, NEIGHBOUR), "bureau", "bureau-Demo2026").status_code == 423
    actions = _actions(db)
    assert actions.count("user.locked") == 1
    assert actions.count("login.failed") == 3  # the blocked guesses do not flood the log


def test_successful_logins_do_not_count(strict_app, db):
    client = _client(strict_app(), ATTACKER)
    assert _login(client, "gtzy", "guess-123").status_code == 200
    assert _login(client, "gtzy", "guess-123").status_code == 200
    for _ in range(4):
        assert _login(client, "gtzy", "gtzy-Demo2026").status_code == 302
    actions = _actions(db)
    assert "login.ip_blocked" not in actions and actions.count("auth.login") == 4


def test_forwarded_for_is_ignored_unless_behind_a_configured_proxy(strict_app, db):
    direct = _client(strict_app(), ATTACKER)
    for n in range(3):  # a forged header does not give each attempt a fresh address
        _login(direct, "gtzy", "guess-123", **{"X-Forwarded-For": f"203.0.113.{n}"})
    assert _login(direct, "scjg", "guess-456").status_code == 429


def test_behind_a_proxy_each_forwarded_client_is_counted_apart(strict_app, db):
    app = strict_app(proxy_hops=1)
    proxy = _client(app, "127.0.0.1")
    for username in ("gtzy", "scjg", "center"):
        _login(proxy, username, "guess-123", **{"X-Forwarded-For": ATTACKER})
    blocked = _login(proxy, "center", "guess-456", **{"X-Forwarded-For": ATTACKER})
    assert blocked.status_code == 429
    allowed = _login(proxy, "center", "guess-456", **{"X-Forwarded-For": NEIGHBOUR})
    assert allowed.status_code == 200
    with db.read() as session:
        blocks = session.scalars(select(AuditEvent).where(AuditEvent.action == "login.ip_blocked"))
        assert [e.detail["ip"] for e in blocks] == [ATTACKER]
