from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app.services import cases as case_service
from app.services import queries
from app.services.errors import InvalidInput
from app.web.context import actor, db

bp = Blueprint("cases", __name__)


@bp.get("/cases")
@login_required
def case_list() -> str:
    with db().read() as session:
        rows = queries.cases(session, actor())
    return render_template("cases.html", rows=rows)


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def register() -> str | Response:
    me = actor()
    errors: dict[str, list[str]] = {}
    values = {k: request.form.get(k, "") for k in case_service.CASE_FIELDS}
    if request.method == "POST":
        try:
            with db().write() as session:
                registered = case_service.register(session, me, values)
        except InvalidInput as exc:
            errors = exc.errors
        else:
            return redirect(url_for("instances.instance_page", instance_id=registered.instance.id))
    with db().read() as session:
        agencies = queries.agencies(session)
    return render_template(
        "case_new.html",
        fields=case_service.CASE_FIELDS,
        required=case_service.REQUIRED,
        values=values,
        errors=errors,
        agencies=agencies,
        allowed=me.role in case_service.REGISTER_ROLES,
    ), (400 if errors else 200)
