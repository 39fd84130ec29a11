"""Request-scoped access to the database, settings and the acting user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, g, request
from flask_login import current_user

from app import jsontext
from app.config import Settings
from app.db import Database
from app.errors import InvalidInput
from app.services.actor import Actor


def db() -> Database:
    return current_app.extensions["huajie.db"]


def settings() -> Settings:
    return current_app.extensions["huajie.settings"]


def pdf_cache() -> Path:
    """Where printed documents are kept (disposable: each is remade from its .docx)."""
    return settings().data_dir / "pdf"


def actor() -> Actor:
    """The logged-in user, with the people they substitute for today (once per request)."""
    found = g.get("huajie_actor")
    if found is None:
        from app.services.execution import assignment

        with db().read() as session:
            acting = assignment.acting_for(session, current_user)
        found = g.huajie_actor = Actor.of(current_user, acting)
    return found


def json_body() -> Any:
    """The request's JSON body; None when it is not sent as JSON. A body too deeply nested,
    holding a NUL or a lone surrogate, or not JSON at all is a 400 naming the field."""
    if not request.is_json:
        return None
    try:
        return jsontext.request_body(request.get_data())
    except jsontext.RefusedBody as exc:
        raise InvalidInput(exc.message, {exc.field: [exc.message]}) from exc
    except ValueError as exc:
        raise InvalidInput("请求体不是有效的 JSON") from exc
