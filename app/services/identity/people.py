"""People as pages and messages name them: 王敏（洪泽区自然资源和规划局）."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import User

_FOR = "（代 "  # how the history writes a substitute's work: "lisi（代 zhangsan）"


def label(user: User) -> str:
    return f"{user.label}（{user.unit.name}）"


def label_of(session: Session, username: str | None) -> str:
    """The person a stored username names; a substitute's record names both."""
    if not username:
        return "（未知）"
    own, _, absent = username.partition(_FOR)
    found = _named(session, own)
    if absent:
        return f"{found}（代 {_named(session, absent.rstrip('）'))}）"
    return found


def _named(session: Session, username: str) -> str:
    user = session.scalar(select(User).where(User.username == username))
    return label(user) if user is not None else username
