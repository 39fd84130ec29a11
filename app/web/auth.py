from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app.services import audit, org, throttle
from app.web.context import db, settings

bp = Blueprint("auth", __name__)


def login_limits() -> throttle.Limits:
    config = settings()
    return throttle.Limits(config.login_ip_max_failures, config.login_ip_block_minutes)


def client_ip() -> str:
    """The client's address (from X-Forwarded-For only when HUAJIE_PROXY_HOPS says so)."""
    return request.remote_addr or "unknown"


def after_login() -> Response:
    target = request.args.get("next", "")
    return redirect(
        target if target.startswith("/") and not target.startswith("//") else url_for("tasks.inbox")
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int, dict[str, str]]:
    error = None
    if request.method == "POST":
        ip, limits = client_ip(), login_limits()
        refusal: org.AccountLocked | None = None
        with db().write() as session:
            # caught inside the transaction, so the refusal's audit event is kept
            try:
                throttle.check(session, ip, limits)
                user = org.authenticate(
                    session,
                    request.form.get("username", "").strip(),
                    request.form.get("password", ""),
                    ip=ip,
                )
                if user is None:
                    throttle.note_failure(session, ip, limits)
                else:
                    audit.record(session, user.username, "auth.login", method="password", ip=ip)
            except throttle.LoginThrottled as exc:
                retry = {"Retry-After": str(exc.minutes * 60)}
                return render_template("login.html", error=exc.message), 429, retry
            except org.AccountLocked as exc:
                refusal = exc
        if refusal is not None:
            return render_template("login.html", error=refusal.message), 423
        if user is not None:
            login_user(user)
            return after_login()
        error = "用户名或密码错误"
    return render_template("login.html", error=error)


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    return redirect(url_for("auth.login"))
