"""OIDC login (统一身份认证) against a fake OpenID provider over real loopback HTTP."""

from __future__ import annotations

import dataclasses
import socket
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from app import clock
from app.models import AuditEvent, User
from app.web.factory import create_app
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, running_provider

BUTTON = "统一身份认证登录"


@pytest.fixture
def sso(settings, db):
    with running_provider() as provider:
        configured = dataclasses.replace(
            settings, oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID,
            oidc_client_secret=CLIENT_SECRET,
        )  # fmt: skip
        app = create_app(configured)
        app.config.update(TESTING=True)
        yield app.test_client(), provider


def _through_provider(client, provider, tamper_state: bool = False):
    """The browser's round trip: our redirect, the provider's answer, our callback."""
    start = client.get("/login/oidc")
    assert start.status_code == 302 and start.location.startswith(f"{provider.issuer}/authorize")
    answer = requests.get(start.location, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    query = back.query.replace("state=", "state=x") if tamper_state else back.query
    return client.get(f"{back.path}?{query}")


def _events(db, action):
    with db.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_sso_login_maps_the_claim_to_the_user_and_is_audited(sso, db):
    client, provider = sso
    assert BUTTON in client.get("/login").get_data(as_text=True)
    response = _through_provider(client, provider)
    assert response.status_code == 302 and "/login" not in response.location
    inbox = client.get("/")
    assert inbox.status_code == 200 and "退出" in inbox.get_data(as_text=True)
    (event,) = _events(db, "auth.login")
    assert event.actor == "center" and event.detail["method"] == "oidc"


def test_unknown_user_is_refused_with_a_message_and_an_audit_event(sso, db):
    client, provider = sso
    provider.username = "stranger"
    response = _through_provider(client, provider)
    assert response.status_code == 403
    assert "未在本系统开通" in response.get_data(as_text=True)
    (event,) = _events(db, "login.oidc_refused")
    assert event.detail["reason"] == "unknown_user" and event.detail["username"] == "stranger"
    assert client.get("/").status_code == 302  # not logged in


def test_locked_user_is_refused(sso, db):
    client, provider = sso
    with db.write() as session:
        user = session.scalar(select(User).where(User.username == "gtzy"))
        user.locked_until = clock.now() + timedelta(minutes=10)
    provider.username = "gtzy"
    response = _through_provider(client, provider)
    assert response.status_code == 403 and "账户已锁定" in response.get_data(as_text=True)
    assert [e.detail["reason"] for e in _events(db, "login.oidc_refused")] == ["locked"]


def test_a_forged_state_is_refused(sso, db):
    client, provider = sso
    response = _through_provider(client, provider, tamper_state=True)
    assert response.status_code == 400 and "未通过校验" in response.get_data(as_text=True)
    assert _events(db, "auth.login") == []
    assert client.get("/").status_code == 302


def test_an_id_token_with_another_nonce_is_refused(sso, db):
    client, provider = sso
    provider.nonce_override = "replayed-nonce"
    response = _through_provider(client, provider)
    assert response.status_code == 400 and "未通过校验" in response.get_data(as_text=True)
    assert _events(db, "auth.login") == []
    assert [e.detail["reason"] for e in _events(db, "login.oidc_refused")] == ["invalid_response"]


def test_without_configuration_there_is_no_sso(client):
    assert BUTTON not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404


def test_an_unreachable_provider_gets_a_clear_message(settings, db):
    with socket.socket() as sock:  # a loopback port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    configured = dataclasses.replace(
        settings, oidc_issuer=f"http://127.0.0.1:{port}", oidc_client_id=CLIENT_ID
    )
    response = create_app(configured).test_client().get("/login/oidc")
    assert response.status_code == 502
    assert "统一身份认证服务暂时无法访问" in response.get_data(as_text=True)
