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
    # the people this actor substitutes for today (代理): their own actors
    acting_for: tuple[Actor, ...] = ()

    @classmethod
    def of(cls, user: User, acting_for: tuple[Actor, ...] = ()) -> Actor:
        return cls(user.username, user.role, user.unit_id, user.unit.kind, user.id, acting_for)


SYSTEM = Actor("system", "system")
