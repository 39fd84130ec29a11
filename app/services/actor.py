"""Who is acting: a user (web or API token) or the system (timers, CLI)."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import User


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    unit_id: int | None = None
    unit_kind: str | None = None
    user_id: int | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.username, user.role, user.unit_id, user.unit.kind, user.id)


SYSTEM = Actor("system", "system")
