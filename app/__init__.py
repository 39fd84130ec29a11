"""huajie (化解): BPMN orchestration of the ten mechanisms for reducing litigation losses."""

from __future__ import annotations

import gc

from flask import Flask

from app import jsontext
from app.config import Settings
from app.db import Database


def create_app(settings: Settings | None = None) -> Flask:
    from app.services.attachments import MAX_REQUEST_BYTES

    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # behind HTTPS in production: HUAJIE_SECURE_COOKIES=1 marks cookies Secure
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        WTF_CSRF_TIME_LIMIT=None,
        JSON_AS_ASCII=False,
    )
    app.json = jsontext.FlaskJSON(app)  # not ASCII-escaped, written by orjson
    app.extensions["huajie.settings"] = settings
    app.extensions["huajie.db"] = Database(settings.database_url, settings.lock_timeout_s)

    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # only behind a proxy that sets them: otherwise a client could forge its address
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )

    from app.web import register

    register(app)
    return app


def freeze_for_serving() -> None:
    """Once a server process has built its app: take everything built so far (modules, the
    app, its engines and metadata) out of the cyclic garbage collector's walks.

    Python's full collection walks every tracked object; with the app loaded that is ~160,000
    objects and ~65–70 ms, a stall every few hundred requests (once in 500 API completions; in
    the one SQLite writer's turn, should it come there). After this it walks what requests
    leave behind: 2–5 ms. Only cycles among the frozen objects are never collected, and those
    live as long as the process anyway.
    """
    gc.freeze()
