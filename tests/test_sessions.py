"""Login sessions end on the server: logout, deactivation, a new password or role end every
session of the user; an idle or too old session ends by itself; no cookie outlives them."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_login.utils import encode_cookie
from sqlalchemy import select

from app.config import Settings
from app.models import AuditEvent, User
from app.services.actor import SYSTEM
from app.services.identity import accounts
from app.web.factory import create_app
from tests.test_web import _csrf, login

pytestmark = pytest.mark.both_databases


def _opens(client, path: str = "/") -> bool:
    """Whether the page opens (200) rather than sending the browser to the login page."""
    response = client.get(path)
    assert response.status_code in {200, 302}, response.status_code
    if response.status_code == 302:
        assert urlsplit(response.location).path == "/login"
    return response.status_code == 200


def _refusal(client, path: str) -> tuple[str, str]:
    """Where a refused request is sent (its ``next``) and the message the login page shows."""
    response = client.get(path)
    assert response.status_code == 302 and urlsplit(response.location).path == "/login"
    target = parse_qs(urlsplit(response.location).query)["next"][0]
    return target, client.get(response.location).get_data(as_text=True)


def _logout(client) -> None:
    response = client.post("/logout", data={"csrf_token": _csrf(client, "/")})
    assert response.status_code == 302


def _with_cookie_of(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    saved = client.get_cookie("session")
    thief = app.test_client()
    thief.set_cookie("session", saved.value)
    return thief


def _actions(db) -> list[str]:
    with db.read() as session:
        return [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_a_cookie_saved_before_logout_is_refused_after_logout(app, client, db):
    login(client, "gtzy")
    copy = _with_cookie_of(app, client)
    assert _opens(copy)
    _logout(client)
    assert not _opens(copy)
    assert not _opens(client)
    assert "auth.logout" in _actions(db)


def test_logout_ends_the_users_sessions_in_every_browser(app, db):
    office, home, colleague = app.test_client(), app.test_client(), app.test_client()
    login(office, "gtzy")
    login(home, "gtzy")
    login(colleague, "scjg")
    _logout(office)
    assert not _opens(home)
    assert _opens(colleague)  # another user's session is untouched


def test_a_remember_me_cookie_does_not_bypass_the_server_side_session(app, client, db):
    """Flask-Login would log a browser in again from a signed "remember me" cookie: neither one
    naming the ended session nor one naming the user's id opens anything after logout."""
    login(client, "gtzy")
    cookie = app.session_interface.get_signing_serializer(app).loads(
        client.get_cookie("session").value
    )
    with db.read() as session:
        user_id = session.scalar(select(User.id).where(User.username == "gtzy"))
    with app.test_request_context():
        remembered = [encode_cookie(cookie["_user_id"]), encode_cookie(str(user_id))]
    _logout(client)
    for value in remembered:
        browser = app.test_client()
        browser.set_cookie("remember_token", value)
        assert not _opens(browser)


def test_a_deactivated_users_open_session_is_refused_on_the_next_request(client, db):
    login(client, "gtzy")
    assert _opens(client, "/instances")
    with db.write() as session:
        accounts.deactivate(session, SYSTEM, "gtzy", "调离")
    target, page = _refusal(client, "/instances")
    assert target == "/instances" and "登录已失效" in page


def test_a_role_or_unit_change_ends_the_users_sessions(app, db):
    first, second = app.test_client(), app.test_client()
    login(first, "gtzy")
    with db.write() as session:
        accounts.change_role(session, SYSTEM, "gtzy", "agency_head")
    assert not _opens(first)
    login(second, "gtzy")
    with db.write() as session:
        accounts.change_unit(session, SYSTEM, "gtzy", "SCJG")
    assert not _opens(second)
    with db.read() as session:
        events = {
            e.action: e.detail
            for e in session.scalars(select(AuditEvent).where(AuditEvent.action.like("user.%")))
        }
    assert events["user.role_change"]["before"] == "agency"
    assert events["user.role_change"]["after"] == "agency_head"
    assert events["user.unit_change"] == {
        "username": "gtzy", "before": "GTZY", "after": "SCJG", "sessions_ended": 1
    }  # fmt: skip


def test_an_idle_session_ends_and_login_returns_to_the_page(client, db, clock):
    login(client, "gtzy")
    for moment in ("10:29", "10:58", "11:27"):  # each request keeps it alive for 30 minutes
        clock.set(f"2026-09-30T{moment}:00+08:00")
        assert _opens(client, "/instances?status=running")
    clock.set("2026-09-30T11:58:00+08:00")  # 31 minutes without a request
    target, page = _refusal(client, "/instances?status=running")
    assert "登录已超时" in page
    assert target == "/instances?status=running"
    back = client.post(
        f"/login?next={target}",
        data={"username": "gtzy", "password": "gtzy-Demo2026",
              "csrf_token": _csrf(client, "/login")},
    )  # fmt: skip
    assert back.status_code == 302 and back.location == "/instances?status=running"
    assert _opens(client, "/instances?status=running")


def test_a_session_ends_twelve_hours_after_login_however_busy(client, db, clock):
    login(client, "gtzy")
    for hour in range(10, 22):
        for minute in ("00", "25", "50"):
            clock.set(f"2026-09-30T{hour}:{minute}:00+08:00")
            assert _opens(client)
    clock.set("2026-09-30T22:00:00+08:00")
    _, page = _refusal(client, "/")
    assert "登录已到最长时限" in page


def test_the_timeouts_are_settings(settings, db, clock, monkeypatch):
    monkeypatch.setenv("HUAJIE_SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("HUAJIE_SESSION_MAX_HOURS", "1")
    configured = Settings.from_env()
    assert (configured.session_idle_minutes, configured.session_max_hours) == (5, 1)
    client = create_app(dataclasses.replace(settings, session_idle_minutes=5)).test_client()
    login(client, "gtzy")
    clock.set("2026-09-30T10:04:00+08:00")
    assert _opens(client)
    clock.set("2026-09-30T10:10:00+08:00")
    assert not _opens(client)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, db):
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "gtzy")
    login(elsewhere, "gtzy")
    changed = here.post(
        "/password",
        data={"current_password": "gtzy-Demo2026", "new_password": "Qingshui-河畔-47",
              "repeat_password": "Qingshui-河畔-47", "csrf_token": _csrf(here, "/password")},
    )  # fmt: skip
    assert changed.status_code == 302
    assert "密码已修改" in here.get(changed.location).get_data(as_text=True)
    assert _opens(here)
    assert not _opens(elsewhere)
    fresh = app.test_client()
    old = fresh.post(
        "/login",
        data={"username": "gtzy", "password": "gtzy-Demo2026",
              "csrf_token": _csrf(fresh, "/login")},
    )  # fmt: skip
    assert old.status_code == 200 and "用户名或密码错误" in old.get_data(as_text=True)
    new = fresh.post(
        "/login",
        data={"username": "gtzy", "password": "Qingshui-河畔-47",
              "csrf_token": _csrf(fresh, "/login")},
    )  # fmt: skip
    assert new.status_code == 302
    assert "password.change" in _actions(db)
