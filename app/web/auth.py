"""Logging in and out, the login session behind every page, and the user's own password."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app.errors import InvalidInput
from app.models import User
from app.services.identity import login_sessions, logins, throttle
from app.web.context import db, settings

bp = Blueprint("auth", __name__)

REFUSALS = {
    login_sessions.IDLE: "登录已超时（长时间未操作），请重新登录",
    login_sessions.EXPIRED: "登录已到最长时限，请重新登录",
    login_sessions.ENDED: "登录已失效（已退出、密码或账户已变更），请重新登录",
}
# pages a user with a temporary password may still open
WHILE_MUST_CHANGE = {"auth.password", "auth.logout", "auth.login", "static", "vendor.asset"}


def login_limits() -> throttle.Limits:
    config = settings()
    return throttle.Limits(config.login_ip_max_failures, config.login_ip_block_minutes)


def session_limits() -> login_sessions.Limits:
    config = settings()
    return login_sessions.Limits(config.session_idle_minutes, config.session_max_hours)


def client_ip() -> str:
    """The client's address (from X-Forwarded-For only when HUAJIE_PROXY_HOPS says so)."""
    return request.remote_addr or "unknown"


def _safe_next(default: str) -> str:
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


def after_login(user: User) -> Response:
    """Into the app: where the user was going, or to the password page first when an
    administrator's reset left a temporary password. ``user.login_token`` names the session
    (``login_sessions.start``); Flask-Login keeps that token, not the user's id."""
    login_user(user)
    if user.must_change_password:
        flash("请先修改管理员设置的临时密码", "error")
        return redirect(url_for("auth.password", next=_safe_next(url_for("tasks.inbox"))))
    return redirect(_safe_next(url_for("tasks.inbox")))


def init(app: Flask) -> None:
    """Flask-Login over login sessions kept in the database
    (``app.services.identity.login_sessions``)."""
    manager = LoginManager(app)
    manager.login_view = "auth.login"
    config = app.extensions["huajie.settings"]
    # the signed cookie's own age limit (Flask's default is 31 days); the row decides first
    app.config["PERMANENT_SESSION_LIFETIME"] = config.session_max_hours * 3600

    @manager.user_loader
    def _load(token: str) -> User | None:
        # the cookie's (or a remember-me cookie's) token, checked against its session row
        with db().read() as reads:
            found = login_sessions.resume(reads, token, session_limits())
        if found.user is None:
            g.login_refused = found.refused
            session.pop("_user_id", None)  # a dead cookie is not looked up again
            return None
        if found.touch and found.session_id is not None:
            logins.seen(db(), found.session_id)
        return found.user

    @manager.unauthorized_handler
    def _to_login() -> Response:
        flash(REFUSALS.get(g.get("login_refused", ""), "请先登录"), "error")
        target = request.full_path.rstrip("?") if request.method == "GET" else request.path
        return redirect(url_for("auth.login", next=target))

    @app.before_request
    def _temporary_password():
        if request.path.startswith("/api/") or request.endpoint in WHILE_MUST_CHANGE:
            return None
        if current_user.is_authenticated and current_user.must_change_password:
            return redirect(url_for("auth.password", next=request.full_path.rstrip("?")))
        return None


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    error = None
    if request.method == "POST":
        outcome = logins.with_password(
            db(), request.form.get("username", ""), request.form.get("password", ""),
            client_ip(), login_limits(),
        )  # fmt: skip
        refusal, user = outcome.refusal, outcome.user
        if isinstance(refusal, throttle.LoginThrottled):
            retry = {"Retry-After": str(refusal.minutes * 60)}
            return render_template("login.html", error=refusal.message), 429, retry
        if refusal is not None:
            return render_template("login.html", error=refusal.message), 423
        if user is not None:
            return after_login(user)
        error = "用户名或密码错误"
    return render_template("login.html", error=error)


@bp.post("/logout")
@login_required
def logout() -> Response:
    logins.log_out(db(), current_user)
    logout_user()
    flash("已退出登录")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    """修改密码: every user, with the current password and the new one twice."""
    if request.method == "GET":
        return render_template("password.html", errors={})
    form = request.form
    user = logins.change_password(
        db(), current_user.id, form.get("current_password", ""),
        form.get("new_password", ""), form.get("repeat_password", ""), client_ip(),
    )  # fmt: skip
    if isinstance(user, InvalidInput):  # a wrong current password stays counted
        return render_template("password.html", errors=user.errors), 400
    login_user(user)  # this browser's new session; every other one has ended
    flash("密码已修改；其他设备上的登录已全部退出")
    return redirect(_safe_next(url_for("tasks.inbox")))
