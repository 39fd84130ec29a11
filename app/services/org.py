"""Units, users, passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import ROLES, UNIT_KINDS, ApiToken, Unit, User
from app.services import audit
from app.services.actor import Actor
from app.services.errors import Conflict, InvalidInput, NotFound

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


def unit_of_kind(session: Session, kind: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.kind == kind).order_by(Unit.id).limit(1))
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
    password = password or secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 位")
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


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user when the password matches; records a failed attempt otherwise."""
    user = session.scalar(select(User).where(User.username == username))
    try:
        if user is not None and user.active and _hasher.verify(user.password_hash, password):
            return user
    except (VerificationError, InvalidHashError):
        pass
    audit.record(session, "anonymous", "login.failed", username=username)
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


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None or not row.user.active:
        return None
    return row.user
