"""Login through a government SSO (OpenID Connect): map the provider's claim to our user."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import ServiceError
from app.models import User
from app.services.records import audit


class SsoRefused(ServiceError):
    status = 403


def refuse(session: Session, reason: str, message: str, **detail: Any) -> SsoRefused:
    """Audit a refused SSO login; the caller raises the returned error after its commit."""
    audit.record(session, "anonymous", "login.oidc_refused", reason=reason, **detail)
    return SsoRefused(message)


def login(session: Session, username: str, issuer: str, ip: str) -> User:
    """The active, unlocked user named by the provider; refused (and audited) otherwise.

    SSO never creates accounts: an administrator adds users (with their unit and role) first.
    """
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is None or not user.active:
        raise refuse(
            session, "unknown_user", "统一身份认证账号未在本系统开通，请联系管理员",
            username=username, issuer=issuer, ip=ip,
        )  # fmt: skip
    if user.locked_until is not None and user.locked_until > clock.now():
        raise refuse(
            session, "locked", "账户已锁定，请稍后重试或联系管理员",
            username=username, issuer=issuer, ip=ip,
        )  # fmt: skip
    audit.record(session, user.username, "auth.login", method="oidc", issuer=issuer, ip=ip)
    return user
