from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app.services import org
from app.web.context import db

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    error = None
    if request.method == "POST":
        try:
            with db().write() as session:
                user = org.authenticate(
                    session,
                    request.form.get("username", "").strip(),
                    request.form.get("password", ""),
                )
        except org.AccountLocked as exc:
            return render_template("login.html", error=exc.message), 423
        if user is not None:
            login_user(user)
            target = request.args.get("next", "")
            return redirect(
                target
                if target.startswith("/") and not target.startswith("//")
                else url_for("tasks.inbox")
            )
        error = "用户名或密码错误"
    return render_template("login.html", error=error)


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    return redirect(url_for("auth.login"))
