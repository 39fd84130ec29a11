"""Incidents: the instances a run-time error stopped, for process owners to retry."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app.services.execution import incident_retry, incidents
from app.web.context import actor, db

bp = Blueprint("incidents", __name__)


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
    flash("已重试：流程实例已越过出错的环节，继续运行")
    return redirect(url_for("incidents.incident_list"))
