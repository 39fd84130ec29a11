"""日历订阅: the page where a user opens, renews or stops their private deadline feed, and the
feed itself (fetched by a calendar application with the token in its URL, without a login)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app.errors import NotFound
from app.services.notify import calendar_feed
from app.web.context import actor, db

bp = Blueprint("calendar_feed", __name__)


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
def page() -> ResponseReturnValue:
    me = actor()
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            calendar_feed.revoke(db(), me)
            flash("日历订阅已停用，原订阅地址不再可用")
            return redirect(url_for("calendar_feed.page"))
        token = calendar_feed.issue(db(), me)
        url = url_for("calendar_feed.feed", token=token, _external=True)
        return render_template("calendar_feed.html", feed=None, new_url=url)
    with db().read() as session:
        feed = calendar_feed.active(session, me.user_id or 0)
    return render_template("calendar_feed.html", feed=feed, new_url=None)


@bp.get("/calendar/<token>.ics")
def feed(token: str) -> ResponseReturnValue:
    with db().read() as session:
        try:
            owner = calendar_feed.owner(session, token)
        except NotFound as exc:
            return Response(exc.message, 404, content_type="text/plain; charset=utf-8")
        items = calendar_feed.deadlines(session, owner)
    task_url = url_for("tasks.task_page", task_id=0, _external=True).removesuffix("0") + "{id}"
    body = calendar_feed.render(items, task_url)
    return Response(
        body, content_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"},
    )  # fmt: skip
