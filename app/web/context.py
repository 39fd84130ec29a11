"""Request-scoped access to the database, settings and the acting user."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user

from app.config import Settings
from app.db import Database
from app.services.actor import Actor


def db() -> Database:
    return current_app.extensions["huajie.db"]


def settings() -> Settings:
    return current_app.extensions["huajie.settings"]


def actor() -> Actor:
    return Actor.of(current_user)  # type: ignore[arg-type]
