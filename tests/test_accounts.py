"""Accounts: the user's own password, an administrator's operations (command line and
services), common passwords, equal work for unknown usernames, token expiry."""

from __future__ import annotations

import argon2
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.errors import Conflict, InvalidInput
from app.models import AuditEvent, User
from app.services.actor import SYSTEM
from app.services.identity import accounts, org
from tests.test_web import _csrf, login

pytestmark = pytest.mark.both_databases


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _try_login(client, username: str, password: str):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": _csrf(client, "/login")},
    )


def _events(db, action: str) -> list[AuditEvent]:
    with db.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _user(db, username: str) -> User:
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return user


def _change(client, current: str, new: str, repeat: str | None = None):
    return client.post(
        "/password",
        data={"current_password": current, "new_password": new,
              "repeat_password": new if repeat is None else repeat,
              "csrf_token": _csrf(client, "/password")},
    )  # fmt: skip


# the user's own password ------------------------------------------------------------------


def test_the_password_page_names_every_problem_and_changes_nothing(client, db):
    login(client, "gtzy")
    before = _user(db, "gtzy").password_hash
    page = client.get("/password").get_data(as_text=True)
    assert "当前密码" in page and "再次输入新密码" in page
    refused = _change(client, "not-my-password-1", "Password123", "Password124")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "当前密码不正确" in text
    assert "两次输入的新密码不一致" in text
    assert "密码过于常见" in text
    assert _user(db, "gtzy").password_hash == before
    # the wrong current password is recorded and counts towards the lock-out
    assert len(_events(db, "password.change_refused")) == 1
    assert _user(db, "gtzy").failed_logins == 1
    assert _events(db, "password.change") == []


def test_common_passwords_are_refused_with_a_chinese_message(db):
    for common in ("Password123", "P@ssw0rd1", "qwerty123", "Zhang1988", "gtzy2026abc"):
        with pytest.raises(InvalidInput) as refused, db.write() as session:
            org.add_user(session, SYSTEM, "gtzy2026abc", "GTZY", "agency", common)
        assert "密码过于常见或容易被猜到" in refused.value.message, common
    with db.write() as session:  # a long, unusual one is fine
        org.add_user(session, SYSTEM, "newcomer", "GTZY", "agency", "Lanhua-湖畔-0417-桥")


def test_a_wrong_current_password_counts_towards_the_lock_out(client, db):
    login(client, "gtzy")
    for n in range(5):
        _change(client, f"guess-{n}-x", "Qingshui-river-47")
    assert _try_login(client.application.test_client(), "gtzy", "gtzy-Demo2026").status_code == 423
    assert len(_events(db, "user.locked")) == 1


# an administrator's operations --------------------------------------------------------------


def test_deactivate_ends_sessions_stops_tokens_and_logins_until_reactivated(app, client, db):
    with db.write() as session:
        token = org.create_token(session, SYSTEM, "gtzy")
    headers = {"Authorization": f"Bearer {token}"}
    login(client, "gtzy")
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    _cli("users", "deactivate", "gtzy", "--reason", "调离")
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/tasks", headers=headers).status_code == 401
    assert _try_login(app.test_client(), "gtzy", "gtzy-Demo2026").status_code == 200
    _cli("users", "reactivate", "gtzy")
    assert _try_login(app.test_client(), "gtzy", "gtzy-Demo2026").status_code == 302
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    (deactivated,) = _events(db, "user.deactivate")
    assert deactivated.detail["reason"] == "调离" and deactivated.detail["sessions_ended"] == 1
    assert len(_events(db, "user.reactivate")) == 1


def test_unlock_lifts_a_lock_out(app, db):
    client = app.test_client()
    for _ in range(5):
        _try_login(client, "gtzy", "wrong-pass-1")
    assert _try_login(client, "gtzy", "gtzy-Demo2026").status_code == 423
    _cli("users", "unlock", "gtzy")
    assert _try_login(client, "gtzy", "gtzy-Demo2026").status_code == 302
    assert len(_events(db, "user.unlock")) == 1


def test_a_reset_password_must_be_changed_at_the_next_login(app, client, db):
    login(client, "gtzy")
    output = _cli("users", "reset-password", "gtzy")
    temporary = output.split("临时密码：", 1)[1].strip()
    assert client.get("/").status_code == 302  # the old session has ended
    browser = app.test_client()
    first = _try_login(browser, "gtzy", temporary)
    assert first.status_code == 302 and first.location.startswith("/password")
    assert browser.get("/instances").location.startswith("/password")  # nothing else first
    assert _change(browser, temporary, "Qingshui-river-47").status_code == 302
    assert browser.get("/instances").status_code == 200
    assert _user(db, "gtzy").must_change_password is False
    assert len(_events(db, "user.password_reset")) == 1


def test_the_first_administrator_chooses_a_password_at_the_first_login(app, db):
    """What the README's production section does: a generated password is temporary."""
    output = _cli("users", "add", "chief", "--unit", "SFJ", "--role", "admin")
    temporary = output.split("临时密码（首次登录须修改）：", 1)[1].strip()
    browser = app.test_client()
    assert _try_login(browser, "chief", temporary).location.startswith("/password")
    assert _change(browser, temporary, "Lanhua-湖畔-0417-桥").status_code == 302
    assert browser.get("/").status_code == 200


def test_set_role_and_unit_from_the_command_line(db):
    _cli("users", "set-role", "gtzy", "agency_head")
    _cli("users", "set-unit", "gtzy", "SCJG")
    user = _user(db, "gtzy")
    assert user.role == "agency_head" and user.unit.code == "SCJG"
    refused = CliRunner().invoke(main, ["users", "set-role", "gtzy", "king"])
    assert refused.exit_code == 2 and "未知的角色" in refused.output


def test_the_last_active_administrator_cannot_be_deactivated_or_demoted(db):
    for change in (
        lambda s: accounts.deactivate(s, SYSTEM, "admin"),
        lambda s: accounts.change_role(s, SYSTEM, "admin", "auditor"),
    ):
        with pytest.raises(Conflict), db.write() as session:
            change(session)
    with db.write() as session:
        org.add_user(session, SYSTEM, "admin2", "SFJ", "admin", "Lanhua-湖畔-0417-桥")
        accounts.deactivate(session, SYSTEM, "admin")
    assert _user(db, "admin").active is False


# logins of unknown names cost what known ones do --------------------------------------------


@pytest.fixture
def argon2_verifications(monkeypatch):
    """Counts argon2's password verifications (the library's, not ours)."""
    calls: list[str] = []
    original = argon2.PasswordHasher.verify

    def counting(self, hash, password):  # type: ignore[no-untyped-def]
        calls.append(password)
        return original(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    return calls


def test_an_unknown_username_costs_one_argon2_verification_like_a_known_one(
    app, db, argon2_verifications
):
    client = app.test_client()
    with db.write() as session:
        accounts.deactivate(session, SYSTEM, "scjg")
    for username in ("gtzy", "nobody-here", "scjg"):  # known, unknown, deactivated
        argon2_verifications.clear()
        response = _try_login(client, username, "wrong-pass-1")
        assert response.status_code == 200
        assert "用户名或密码错误" in response.get_data(as_text=True)
        assert argon2_verifications == ["wrong-pass-1"], username


# API tokens expire -----------------------------------------------------------------------------


def test_tokens_expire_after_a_year_listed_and_refused_with_a_json_401(client, db, clock):
    with db.write() as session:
        token = org.create_token(session, SYSTEM, "center")
    short = _cli("tokens", "create", "gtzy", "--days", "30").strip()
    headers = {"Authorization": f"Bearer {token}"}
    listing = _cli("tokens", "list")
    assert "expires 2027-09-30T02:00:00+00:00\tactive" in listing
    assert "expires 2026-10-30T02:00:00+00:00\tactive" in listing
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    clock.set("2026-10-30T10:00:01+08:00")
    refused = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {short}"})
    assert refused.status_code == 401 and "过期" in refused.json["error"]
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    clock.set("2027-09-30T10:00:00+08:00")
    expired = client.get("/api/v1/tasks", headers=headers)
    assert expired.status_code == 401
    assert expired.json["error"] == "访问令牌已于 2027-09-30 10:00 过期，请联系管理员重新签发"
    assert _cli("tokens", "list").count("\texpired") == 2
    unknown = client.get("/api/v1/tasks", headers={"Authorization": "Bearer hj_nope"})
    assert unknown.status_code == 401 and "过期" not in unknown.json["error"]
