"""Flask blueprints: parse, authorize, call one service, render."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import select
from sqlalchemy.exc import DataError
from werkzeug.routing import IntegerConverter, Map

from app.db import RETRY_AFTER_S, WriterBusy
from app.errors import Forbidden, ServiceError
from app.web import (  # api_*, admin_settings: their routes join api.bp, admin.bp on import
    admin,
    admin_settings,  # noqa: F401
    api,
    api_audit,  # noqa: F401
    api_manage,  # noqa: F401
    api_tasks,  # noqa: F401
    auth,
    calendar_feed,
    cases,
    court_lists,
    dashboard,
    guard,
    incidents,
    instances,
    modeler,
    oidc,
    openapi,
    permissions,
    processes,
    task_work,
    tasks,
    uploads,
    vendor,
    versions,
)
from app.web.context import db

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CACHEABLE = {"static", "vendor.asset"}  # the only answers a browser may keep


class RecordId(IntegerConverter):
    """``<int:…>`` in every route: ids beyond what the database stores are 404, not an error."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


class CookieSessions(SecureCookieSessionInterface):
    """The signed cookie session of the web pages; API requests carry a token instead, so
    theirs is never decoded or signed (a measurable part of a short API request)."""

    def open_session(self, app: Flask, request: Any) -> Any:
        if request.path.startswith("/api/"):
            return self.make_null_session(app)
        return super().open_session(app, request)


def register(app: Flask) -> None:
    app.url_map.converters["int"] = RecordId
    app.session_interface = CookieSessions()
    csrf = CSRFProtect(app)
    auth.init(app)
    modules = (
        auth,
        tasks,
        cases,
        instances,
        processes,
        modeler,
        dashboard,
        vendor,
        calendar_feed,
        court_lists,
        incidents,
    )
    for module in modules:
        app.register_blueprint(module.bp)
    app.register_blueprint(versions.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(uploads.bp)
    app.register_blueprint(task_work.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)
    app.register_blueprint(openapi.bp)
    oidc.init(app, app.extensions["huajie.settings"])

    @app.before_request
    def _refuse_bad_text():
        guard.check(request, app.view_functions.get(request.endpoint or ""))

    @app.before_request
    def _permission_table():
        """Every logged-in request passes the permission table (API tokens: in token_required).

        Auditors read everything and change nothing: the table gives them no write anywhere
        but starting an audit verification, which only records its own result.
        """
        if request.path.startswith("/api/") or not current_user.is_authenticated:
            return None
        if request.endpoint is None:  # no such page: the 404 (or 405) that routing raised
            return None
        if not permissions.allowed(request.endpoint, request.method, current_user.role):
            if current_user.role == "auditor" and request.method not in SAFE_METHODS:
                raise Forbidden("审计人员为只读角色，不能进行任何修改")
            raise Forbidden("您的角色无权使用此功能")
        return None

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        if request.path.startswith("/api/"):
            return jsonify(error=exc.message, errors=getattr(exc, "errors", None)), exc.status
        return render_template("error.html", message=exc.message, status=exc.status), exc.status

    @app.errorhandler(WriterBusy)
    def _busy(exc: WriterBusy):
        """Another writer holds the lock past the timeout: try again shortly (reads go on)."""
        message = "系统正忙（其他操作正在写入），请稍后重试"
        if request.path.startswith("/api/"):
            response = jsonify(error=message)
        else:
            response = current_app.make_response(
                render_template("error.html", message=message, status=503)
            )
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    @app.errorhandler(DataError)
    def _unstorable(exc: DataError):
        """The database refused a value the checks before it let through: bad input, and the
        transaction is rolled back. (The checks name the field; this is the net under them.)"""
        current_app.logger.warning("database refused a value: %s", exc.orig)
        message = "提交的内容无法保存（含有无效字符或超出范围），请检查后重试"
        if request.path.startswith("/api/"):
            return jsonify(error=message, errors={"": [message]}), 400
        return render_template("error.html", message=message, status=400), 400

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        return render_template("error.html", message="页面已过期，请刷新后重试", status=400), 400

    @app.errorhandler(404)
    def _not_found(exc: Exception):
        if request.path.startswith("/api/"):
            return jsonify(error="未找到"), 404
        return render_template("error.html", message="页面不存在", status=404), 404

    @app.errorhandler(405)
    def _wrong_method(exc: Exception):
        if request.path.startswith("/api/"):
            return jsonify(error="不支持此请求方法"), 405
        return render_template("error.html", message="此页面不支持该操作", status=405), 405

    @app.errorhandler(413)
    def _too_large(exc: Exception):
        limit = f"（单次提交上限 {current_app.config['MAX_CONTENT_LENGTH'] // 1024 // 1024} MiB）"
        if request.path.startswith("/api/"):
            return jsonify(error=f"请求体过大{limit}"), 413
        return render_template("error.html", message=f"上传内容过大{limit}", status=413), 413

    hsts = app.extensions["huajie.settings"].secure_cookies

    @app.after_request
    def _headers(response):
        if request.endpoint not in CACHEABLE:
            # pages, downloads and API answers hold records: no copy in any cache (a shared
            # computer's browser, a proxy); only the static assets may be kept
            response.headers["Cache-Control"] = "no-store"
        if hsts:  # served over HTTPS (HUAJIE_SECURE_COOKIES): browsers must not fall back
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault(
            "Content-Security-Policy",
            # bpmn-js draws SVG with inline style attributes; scripts stay same-origin only
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "frame-ancestors 'none'",
        )
        return response

    @app.template_filter("local")
    def _local(value):
        from datetime import datetime

        from app import clock

        if isinstance(value, str):  # a time kept in an audit event's detail
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return value
        return clock.to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""

    @app.template_filter("action_label")
    def _action_label(value: str) -> str:
        from app.services.reporting.wording import action_label

        return action_label(value)

    @app.template_global("pdf_available")
    def _pdf_available() -> bool:
        from app.services.records import pdf

        return pdf.available()

    @app.template_global("action_choices")
    def _action_choices() -> list[tuple[str, str]]:
        """(action, label) for the audit page's filter, by label."""
        from app.services.reporting.wording import ACTIONS

        return sorted(ACTIONS.items(), key=lambda item: item[1])

    @app.template_global("may")
    def _may(action: str) -> bool:
        """``may('read_audit')`` in a template: what the permission table says of the user."""
        from app.services.identity.permissions import Action, may

        return current_user.is_authenticated and may(current_user.role, Action(action))

    @app.context_processor
    def _unread():
        if not current_user.is_authenticated:
            return {"unread_notifications": 0}
        from app.services.notify import ladder

        with db().read() as session:
            return {"unread_notifications": ladder.unread_count(session, current_user.id)}

    @app.template_filter("unit_name")
    def _unit_name(code: str) -> str:
        from app.models import Unit

        with db().read() as session:
            name = session.scalar(select(Unit.name).where(Unit.code == code))
        return name or code

    @app.template_filter("message_label")
    def _message_label(value: str) -> str:
        from app.services.court.messages import NAMES

        return NAMES.get(value, value)

    @app.template_filter("localdate")
    def _localdate(value):
        from app import clock

        return clock.to_local(value).strftime("%Y-%m-%d") if value else ""
