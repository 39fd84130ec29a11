"""Incidents: the instances a run-time error stopped, for process owners to correct and retry."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.wrappers import Response

from app.errors import InvalidInput
from app.services.design import versions
from app.services.execution import incident_fields, incident_retry, incidents
from app.web import incident_posts
from app.web.context import actor, db
from app.web.guard import shows_field_errors

bp = Blueprint("incidents", __name__)

RETRIED = "已重试：流程实例已越过出错的环节，继续运行"


@bp.get("/incidents")
@login_required
def incident_list() -> str:
    with db().read() as session:
        rows = [incidents.incident_json(i) for i in incidents.open_incidents(session, actor())]
    return render_template("incidents.html", rows=rows)


@bp.post("/incidents/<int:incident_id>/retry")
@login_required
def retry(incident_id: int) -> Response:
    incident_retry.retry(db(), actor(), incident_id)
    flash(RETRIED)
    return redirect(url_for("incidents.incident_list"))


@bp.route("/incidents/<int:incident_id>", methods=["GET", "POST"])
@shows_field_errors
@login_required
def incident_page(incident_id: int) -> ResponseReturnValue:
    """The failed step's data as a form: correct it with a reason, then retry now or later."""
    me = actor()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        with db().read() as session:
            fields = incidents.page(session, me, incident_id).fields
        changed, kinds = incident_posts.corrections(fields, request.form)
        reason = request.form.get("reason", "")
        try:
            if request.form.get("then") == "save":
                incident_retry.save_correction(db(), me, incident_id, changed, reason, kinds)
            else:
                incident_retry.retry(db(), me, incident_id, changed, reason, kinds)
        except InvalidInput as exc:
            errors = _on_the_page(exc.errors, {f.key: f.name for f in fields})
        else:
            if request.form.get("then") == "save":
                flash("已保存更正（尚未重试）：流程实例仍停在出错的环节")
                return redirect(url_for("incidents.incident_page", incident_id=incident_id))
            flash(RETRIED)
            return redirect(url_for("incidents.incident_list"))
    with db().read() as session:
        found = incidents.page(session, me, incident_id)
    page_html = render_template(
        "incident.html", page=found, errors=errors, form=request.form if errors else None,
        kinds=incident_fields.NEW_VALUE_KINDS,
    )  # fmt: skip
    return page_html, (400 if errors else 200)


@bp.post("/incidents/<int:incident_id>/migrate")
@login_required
def migrate_and_retry(incident_id: int) -> Response:
    """Move the instance to a newer version and retry there, in one step; a refusal (it
    cannot move, or fails there too) leaves it as it was and is shown on the incident."""
    to_version = versions.parse_version(request.form.get("to_version"), "目标")
    try:
        incident_retry.migrate_and_retry(db(), actor(), incident_id, to_version)
    except InvalidInput as exc:
        flash(exc.message, "error")
        return redirect(url_for("incidents.incident_page", incident_id=incident_id))
    flash(f"已迁移到 v{to_version} 并重试：流程实例继续运行")
    return redirect(url_for("incidents.incident_list"))


def _on_the_page(errors: dict[str, list[str]], names: dict[str, str]) -> dict[str, list[str]]:
    """A field's messages under its input (``field-<key>``), without the field's name in
    front: the summary puts it there once."""
    shown: dict[str, list[str]] = {}
    for key, messages in errors.items():
        if key not in names:
            shown[key] = messages
            continue
        prefix = f"{names[key]}："
        shown[f"field-{key}"] = [m.removeprefix(prefix) for m in messages]
    return shown
