"""Units, users, passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app import clock
from app.models import ROLES, UNIT_KINDS, ApiToken, Unit, User
from app.services import audit
from app.services.actor import Actor
from app.services.errors import Conflict, InvalidInput, NotFound, ServiceError

_hasher = PasswordHasher()
MIN_PASSWORD = 8


def add_unit(session: Session, actor: Actor, code: str, name: str, kind: str) -> Unit:
    if kind not in UNIT_KINDS:
        raise InvalidInput(f"未知的单位类型：{kind}（可选：{', '.join(UNIT_KINDS)}）")
    if not code.strip() or not name.strip():
        raise InvalidInput("单位代码和名称不能为空")
    if session.scalar(select(Unit).where(Unit.code == code)):
        raise Conflict(f"单位代码已存在：{code}")
    unit = Unit(code=code.strip(), name=name.strip(), kind=kind)
    session.add(unit)
    session.flush()
    audit.record(session, actor, "unit.add", code=code, name=name, kind=kind)
    return unit


def unit_by_code(session: Session, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"单位不存在：{code}")
    return unit


def unit_by_id(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"单位不存在：{unit_id}")
    return unit


_FIRST_OF_KIND = select(Unit).where(Unit.kind == bindparam("kind")).order_by(Unit.id).limit(1)


def unit_of_kind(session: Session, kind: str) -> Unit:
    unit = session.scalar(_FIRST_OF_KIND, {"kind": kind})  # built once: every new task asks
    if unit is None:
        raise NotFound(f"系统中没有类型为 {UNIT_KINDS.get(kind, kind)} 的单位")
    return unit


def add_user(
    session: Session,
    actor: Actor,
    username: str,
    unit_code: str,
    role: str,
    password: str | None = None,
    display_name: str = "",
) -> tuple[User, str]:
    """Create a user; returns the user and the password (generated when none is given)."""
    if role not in ROLES:
        raise InvalidInput(f"未知的角色：{role}（可选：{', '.join(ROLES)}）")
    if not username.strip():
        raise InvalidInput("用户名不能为空")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"用户名已存在：{username}")
    password = password or secrets.token_urlsafe(12) + "7a"
    check_password_policy(password)
    unit = unit_by_code(session, unit_code)
    user = User(
        username=username.strip(),
        display_name=display_name,
        password_hash=_hasher.hash(password),
        unit_id=unit.id,
        role=role,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.add", username=username, unit=unit_code, role=role)
    return user, password


MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15


class AccountLocked(ServiceError):
    status = 423


def check_password_policy(password: str) -> None:
    """At least 8 characters, with letters and digits."""
    if (
        len(password) < MIN_PASSWORD
        or not any(c.isalpha() for c in password)
        or not any(c.isdigit() for c in password)
    ):
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 位，且须同时包含字母和数字")


def authenticate(
    session: Session, username: str, password: str, ip: str | None = None
) -> User | None:
    """The user when the password matches; records a failed attempt otherwise.

    After MAX_FAILED_LOGINS failures in a row the account is locked for LOCK_MINUTES, with an
    audit event; a locked account is refused even with the right password. ``ip`` (the client's
    address) goes into the audit events, where per-IP throttling counts failures.
    """
    where = {"ip": ip} if ip else {}
    now = clock.now()
    user = session.scalar(select(User).where(User.username == username))
    if user is not None and user.locked_until is not None and user.locked_until > now:
        audit.record(session, "anonymous", "login.refused_locked", username=username, **where)
        raise AccountLocked(f"账户已锁定，请于 {LOCK_MINUTES} 分钟后重试或联系管理员")
    try:
        if user is not None and user.active and _hasher.verify(user.password_hash, password):
            user.failed_logins, user.locked_until = 0, None
            return user
    except (VerificationError, InvalidHashError):
        pass
    audit.record(session, "anonymous", "login.failed", username=username, **where)
    if user is not None:
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            audit.record(session, "system", "user.locked", username=username)
    return None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, actor: Actor, username: str) -> str:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"用户不存在：{username}")
    token = "hj_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), created_at=clock.now()))
    audit.record(session, actor, "token.create", username=username)
    return token


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(session: Session, actor: Actor, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"令牌不存在：{token_id}")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        audit.record(session, actor, "token.revoke", token_id=token_id, username=row.user.username)


_LIVE_TOKEN = select(ApiToken).where(
    ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None)
)  # built once: every API request asks


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(_LIVE_TOKEN, {"token_hash": _token_hash(token)})
    if row is None or not row.user.active:
        return None
    return row.user
