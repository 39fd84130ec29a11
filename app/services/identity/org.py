"""Units, users, passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app import clock
from app.config import Settings
from app.driver_sql import DriverStatement
from app.errors import Conflict, InvalidInput, NotFound, ServiceError
from app.models import ROLES, UNIT_KINDS, ApiToken, Unit, User
from app.services.actor import Actor
from app.services.execution import assignment
from app.services.identity import passwords
from app.services.records import audit


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


def person(user: User) -> str:
    """How a page or a notification names a person: "王敏（洪泽区行政争议调处中心）"."""
    return f"{user.label}（{user.unit.name}）" if user.unit else user.label


def who(session: Session, actor: Actor) -> str:
    """How a record names the person who entered something: "区调处中心 王敏"."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    return f"{user.unit.name} {user.label}" if user is not None else actor.username


def add_user(
    session: Session,
    actor: Actor,
    username: str,
    unit_code: str,
    role: str,
    password: str | None = None,
    display_name: str = "",
) -> tuple[User, str]:
    """Create a user; returns the user and the password. A generated one (when none is given)
    is temporary: the user must choose their own at the first login."""
    if role not in ROLES:
        raise InvalidInput(f"未知的角色：{role}（可选：{', '.join(ROLES)}）")
    if not username.strip():
        raise InvalidInput("用户名不能为空")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"用户名已存在：{username}")
    generated = password is None
    password = password or passwords.temporary()
    passwords.check(password, known=(username, display_name, unit_code))
    unit = unit_by_code(session, unit_code)
    user = User(
        username=username.strip(),
        display_name=display_name,
        password_hash=passwords.hash_password(password),
        unit_id=unit.id,
        role=role,
        must_change_password=generated,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.add", username=username, unit=unit_code, role=role)
    return user, password


MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15


class AccountLocked(ServiceError):
    status = 423


def authenticate(
    session: Session,
    username: str,
    password: str,
    ip: str | None = None,
    audit_failures: bool = True,
) -> User | None:
    """The user when the password matches; records a failed attempt otherwise.

    After MAX_FAILED_LOGINS failures in a row the account is locked for LOCK_MINUTES, with an
    audit event; a locked account is refused even with the right password. ``ip`` (the client's
    address) goes into the audit events, where per-IP throttling counts failures. An unknown or
    inactive username costs one argon2 verification like a known one (against a dummy hash),
    so the time of the answer does not tell which names exist. ``audit_failures=False`` (an
    address already blocked) leaves the failed attempts out of the audit log, where they would
    only flood it; they still count towards the account's lock-out.
    """
    where: dict[str, Any] = {"ip": ip} if ip else {}
    now = clock.now()
    user = session.scalar(select(User).where(User.username == username))
    if user is not None and user.locked_until is not None and user.locked_until > now:
        if audit_failures:
            audit.record(session, "anonymous", "login.refused_locked", username=username, **where)
        raise AccountLocked(f"账户已锁定，请于 {LOCK_MINUTES} 分钟后重试或联系管理员")
    stored = user.password_hash if user is not None and user.active else None
    if passwords.verify(stored, password) and user is not None:
        user.failed_logins, user.locked_until = 0, None
        return user
    if audit_failures:
        audit.record(session, "anonymous", "login.failed", username=username, **where)
    if user is not None:
        note_wrong_password(session, user)
    return None


def note_wrong_password(session: Session, user: User) -> None:
    """Count a wrong password against the account; the fifth in a row locks it."""
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = clock.now() + timedelta(minutes=LOCK_MINUTES)
        user.failed_logins = 0
        audit.record(session, "system", "user.locked", username=user.username)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


DEFAULT_TOKEN_DAYS = Settings.token_days  # HUAJIE_TOKEN_DAYS's default


class TokenExpired(ServiceError):
    status = 401

    def __init__(self, expired_at: datetime) -> None:
        day = clock.to_local(expired_at).strftime("%Y-%m-%d %H:%M")
        super().__init__(f"访问令牌已于 {day} 过期，请联系管理员重新签发")


def create_token(
    session: Session, actor: Actor, username: str, days: int = DEFAULT_TOKEN_DAYS
) -> str:
    """A new API token for the user, valid for ``days`` days; only its sha256 is stored."""
    if days < 1:
        raise InvalidInput("令牌有效期至少 1 天", {"days": ["令牌有效期至少 1 天"]})
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"用户不存在：{username}")
    token = "hj_" + secrets.token_urlsafe(32)
    now = clock.now()
    expires_at = now + timedelta(days=days)
    session.add(
        ApiToken(
            user_id=user.id, token_hash=_token_hash(token), created_at=now, expires_at=expires_at
        )
    )
    audit.record(session, actor, "token.create", username=username, expires_at=expires_at)
    return token


def token_state(row: ApiToken) -> str:
    """``active``, ``expired`` or ``revoked`` (as ``huajie tokens list`` shows it)."""
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if row.expires_at <= clock.now() else "active"


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(session: Session, actor: Actor, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"令牌不存在：{token_id}")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        audit.record(session, actor, "token.revoke", token_id=token_id, username=row.user.username)


# The API's per-request token check: one indexed lookup on columns, no ORM objects. It runs on
# every request, so a revoked token or a deactivated user is refused at once in every process.
_LIVE_TOKEN_USER = DriverStatement(
    select(ApiToken.user_id, ApiToken.expires_at)
    .join(User, User.id == ApiToken.user_id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        User.active.is_(True),
    )
)
ACTOR_CACHE_SECONDS = 5.0  # how long a token's role, unit and substitutions are reused


@dataclass(frozen=True)
class _CachedActor:
    user_id: int
    day: date
    expires: float  # time.monotonic()
    actor: Actor


_actors: dict[str, _CachedActor] = {}
_actors_lock = threading.Lock()


def actor_for_token(session: Session, token: str) -> Actor | None:
    """The acting user of a live API token, or None if it is unknown, revoked or deactivated;
    ``TokenExpired`` (401 with the day it expired) past its expiry.

    Liveness is read on every call; what the actor may do (role, unit, the people they
    substitute for today) is reused for ``ACTOR_CACHE_SECONDS`` within the same local day, since
    building it costs two ORM queries (a fifth of a task completion's CPU through the API).
    """
    token_hash = _token_hash(token)
    live = _LIVE_TOKEN_USER.first(session.connection(), {"token_hash": token_hash})
    if live is None or live[1] <= clock.now():
        with _actors_lock:
            _actors.pop(token_hash, None)
        if live is not None:
            raise TokenExpired(live[1])
        return None
    user_id = live[0]
    today, now = clock.local_now().date(), time.monotonic()
    cached = _actors.get(token_hash)
    if cached and cached.user_id == user_id and cached.day == today and cached.expires > now:
        return cached.actor
    user = session.get(User, user_id)
    assert user is not None  # just read, in this transaction
    actor = Actor.of(user, assignment.acting_for(session, user, today))
    with _actors_lock:
        _actors[token_hash] = _CachedActor(user_id, today, now + ACTOR_CACHE_SECONDS, actor)
    return actor


def forget_token_actors() -> None:
    """Drop the cached actors (after roles, units or substitutions change in this process)."""
    with _actors_lock:
        _actors.clear()
