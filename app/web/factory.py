"""The Flask application: configuration, the database, the blueprints."""

from __future__ import annotations

from flask import Flask

from app.config import Settings
from app.db import Database
from app.services.design import routing
from app.web.json_provider import FlaskJSON


def create_app(settings: Settings | None = None) -> Flask:
    from app.services.records.attachments import MAX_REQUEST_BYTES

    settings = settings or Settings.from_env()
    try:
        routing.use(settings.processes_dir)
    except routing.RoutingTableError as exc:  # at startup: say what is wrong, no traceback
        raise SystemExit(exc.report()) from None
    app = Flask("app")  # templates and static files live in the app package
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
    app.json = FlaskJSON(app)  # not ASCII-escaped, written by orjson
    app.extensions["huajie.settings"] = settings
    app.extensions["huajie.db"] = Database.open(settings)

    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # only behind a proxy that sets them: otherwise a client could forge its address
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )

    from app.web import register

    register(app)
    return app
