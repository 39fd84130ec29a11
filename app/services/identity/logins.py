"""Logging in, out and changing one's password: each one unit of work.

A refusal (a wrong password, a locked account, a blocked address, an SSO claim that names no
user) is returned, not raised, so the transaction that decided it commits its audit event and
the failure count with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.models import User
from app.services.identity import accounts, login_sessions, org, sso, throttle
from app.services.records import audit
from app.services.uow import unit_of_work


@dataclass
class PasswordLogin:
    user: User | None  # logged in, with its new session's token
    refusal: org.AccountLocked | throttle.LoginThrottled | None = None


@unit_of_work
def with_password(
    session: Session, username: str, password: str, ip: str, limits: throttle.Limits
) -> PasswordLogin:
    """A login with a password: the per-account lock-out and the per-address block apply
    (a right password from a blocked address still opens its own account)."""
    blocked = throttle.block_of(session, ip, limits)
    refusal: org.AccountLocked | throttle.LoginThrottled | None = None
    user = None
    try:
        user = org.authenticate(
            session, username.strip(), password, ip=ip, audit_failures=blocked is None
        )
    except org.AccountLocked as exc:
        refusal = blocked or exc
    if user is not None:
        audit.record(session, user.username, "auth.login", method="password", ip=ip)
        login_sessions.start(session, user, ip)
        return PasswordLogin(user)
    if blocked is not None:
        return PasswordLogin(None, blocked)
    if refusal is None:
        throttle.note_failure(session, ip, limits)
    return PasswordLogin(None, refusal)


@unit_of_work
def with_sso(session: Session, username: str, issuer: str, ip: str) -> User | sso.SsoRefused:
    """A login the government SSO vouched for: only an existing, active, unlocked user."""
    try:
        user = sso.login(session, username, issuer, ip)
    except sso.SsoRefused as exc:
        return exc
    login_sessions.start(session, user, ip)
    return user


@unit_of_work
def sso_refused(session: Session, reason: str, error: str, ip: str) -> None:
    sso.refuse(session, reason, "", error=error, ip=ip)


@unit_of_work
def seen(session: Session, session_id: int) -> None:
    """The login session was used now (its idle timeout starts again)."""
    login_sessions.touch(session, session_id)


@unit_of_work
def log_out(session: Session, user: User) -> None:
    login_sessions.log_out(session, user)


@unit_of_work
def change_password(
    session: Session, user_id: int, current: str, new: str, repeated: str, ip: str
) -> User | InvalidInput:
    """The user's own change; a refusal is returned (a wrong current password stays counted)."""
    try:
        return accounts.change_password(session, user_id, current, new, repeated, ip)
    except InvalidInput as exc:
        return exc
