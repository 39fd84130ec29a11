"""Request-scoped access to the database, settings and the acting user."""

from __future__ import annotations

from flask import current_app, g
from flask_login import current_user

from app.config import Settings
from app.db import Database
from app.services.actor import Actor


def db() -> Database:
    return current_app.extensions["huajie.db"]


def settings() -> Settings:
    return current_app.extensions["huajie.settings"]


def actor() -> Actor:
    """The logged-in user, with the people they substitute for today (once per request)."""
    found = g.get("huajie_actor")
    if found is None:
        from app.services import assignment

        with db().read() as session:
            acting = assignment.acting_for(session, current_user)  # type: ignore[arg-type]
        found = g.huajie_actor = Actor.of(current_user, acting)  # type: ignore[arg-type]
    return found
