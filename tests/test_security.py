"""Security basics: lock-out, password policy, tokens, headers, untrusted BPMN."""

from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.engine import BpmnDefinitionError, parse_bpmn
from app.errors import InvalidInput
from app.models import AuditEvent
from app.services.actor import SYSTEM
from app.services.identity import org
from app.web.factory import create_app
from tests.test_web import _csrf


def _try(client, username, password):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": _csrf(client, "/login")},
    )


def test_five_failures_lock_the_account_with_an_audit_event(client, db, clock):
    for _ in range(5):
        assert _try(client, "gtzy", "wrong-pass-1").status_code == 200
    locked = _try(client, "gtzy", "gtzy-Demo2026")
    assert locked.status_code == 423 and "账户已锁定" in locked.get_data(as_text=True)
    with db.read() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent))]
    assert actions.count("login.failed") == 5 and "user.locked" in actions
    clock.set("2026-09-30T10:16:00+08:00")  # 15 minutes later
    assert _try(client, "gtzy", "gtzy-Demo2026").status_code == 302


def test_password_policy(db):
    for weak in ("short1", "onlyletters", "1234567890"):
        with pytest.raises(InvalidInput), db.write() as session:
            org.add_user(session, SYSTEM, f"u{weak}", "GTZY", "agency", weak)
    with db.write() as session:
        _, generated = org.add_user(session, SYSTEM, "newcomer", "GTZY", "agency")
    assert len(generated) >= 8


def test_tokens_are_hashed_listed_and_revocable(client, db):
    with db.write() as session:
        token = org.create_token(session, SYSTEM, "center")
    with db.read() as session:
        (row,) = org.list_tokens(session)
        assert token not in row.token_hash and len(row.token_hash) == 64
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    listing = CliRunner().invoke(main, ["tokens", "list"], catch_exceptions=False)
    assert "center" in listing.output and token not in listing.output
    CliRunner().invoke(main, ["tokens", "revoke", str(row.id)], catch_exceptions=False)
    assert client.get("/api/v1/tasks", headers=headers).status_code == 401


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'self'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>"""
BILLION = b"""<?xml version="1.0"?>
<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><x>&c;</x>"""


@pytest.mark.parametrize("payload", [XXE, BILLION, b"<not-xml", b"x" * (3 * 1024 * 1024)])
def test_hostile_bpmn_is_rejected_without_reading_files(payload):
    with pytest.raises(BpmnDefinitionError) as caught:
        parse_bpmn(payload)
    assert "root:" not in str(caught.value)


@pytest.mark.parametrize("secure", [False, True])
def test_session_cookie_flags_follow_the_setting(settings, db, secure):
    app = create_app(dataclasses.replace(settings, secure_cookies=secure))
    client = app.test_client()
    response = _try(client, "center", "center-Demo2026")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is secure
