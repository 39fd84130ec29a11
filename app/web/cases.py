from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.wrappers import Response

from app import clock
from app.config import RECONSIDERATION_ORGAN
from app.errors import InvalidInput
from app.models.states import InstanceStatus
from app.services import district_settings
from app.services.court import cases as case_service
from app.services.court import messages, reconsiderations
from app.services.identity.permissions import Action, may
from app.services.reporting import queries, timeline
from app.web.context import actor, db
from app.web.guard import shows_field_errors

bp = Blueprint("cases", __name__)


@bp.get("/cases")
@shows_field_errors
@login_required
def case_list() -> tuple[str, int]:
    q = request.args.get("q", "").strip()
    archived = request.args.get("archived", "") in {"1", "on"}
    errors: dict[str, list[str]] = {}
    try:
        with db().read() as session:
            rows = timeline.search(session, actor(), q, 200, archived=archived)
    except InvalidInput as exc:
        rows, errors = [], exc.errors
    page = render_template("cases.html", rows=rows, q=q, archived=archived, errors=errors)
    return page, (400 if errors else 200)


@bp.get("/cases/<int:case_id>")
@login_required
def case_page(case_id: int) -> str:
    with db().read() as session:
        found = timeline.build(session, actor(), case_id)
    me = actor()
    can_start_trial = (
        not found.archived
        and found.case.outcome is None
        and may(me.role, Action.START_FOR_CASE)
        and (me.unit_id == found.case.agency_unit_id or me.unit_kind == "center")
        and not any(
            i.process_id == "in_trial_resolution" and i.status == InstanceStatus.RUNNING
            for i in found.instances
        )
    )
    return render_template(
        "case.html", found=found, messages=messages.NAMES, can_start_trial=can_start_trial
    )


@bp.get("/cases/<int:case_id>/print")
@login_required
def case_print(case_id: int) -> str:
    """The case's timeline on A4, oldest first, as the reader may see it."""
    with db().read() as session:
        found = timeline.build(session, actor(), case_id)
    return render_template("case_print.html", found=found, printed_at=clock.now())


@bp.post("/cases/<int:case_id>/start/<process_id>")
@login_required
def start_for_case(case_id: int, process_id: str) -> Response:
    instance = case_service.start_for_case(db(), actor(), case_id, process_id)
    return redirect(url_for("instances.instance_page", instance_id=instance.id))


@bp.route("/reconsiderations/new", methods=["GET", "POST"])
@login_required
def record_reconsideration() -> ResponseReturnValue:
    """登记行政复议决定 (the bureau): a correcting one starts mechanism 9's review."""
    errors: dict[str, list[str]] = {}
    values = {k: request.form.get(k, "") for k in reconsiderations.FIELDS}
    if request.method == "POST":
        try:
            recorded = reconsiderations.record(db(), actor(), values)
            case_id = recorded.case.id
        except InvalidInput as exc:
            errors = exc.errors
        else:
            flash("行政复议决定已登记" + ("，已启动复盘整改" if recorded.started else ""))
            return redirect(url_for("cases.case_page", case_id=case_id))
    with db().read() as session:
        agencies = queries.agencies(session)
        organ = district_settings.get(session, RECONSIDERATION_ORGAN)
    return render_template(
        "reconsideration_new.html", fields=reconsiderations.FIELDS, values=values,
        errors=errors, agencies=agencies, outcomes=reconsiderations.OUTCOMES,
        corrected=reconsiderations.CORRECTED, organ=organ,
    ), (400 if errors else 200)  # fmt: skip


@bp.route("/cases/new", methods=["GET", "POST"])
@shows_field_errors
@login_required
def register() -> ResponseReturnValue:
    me = actor()
    errors: dict[str, list[str]] = {}
    values = {k: request.form.get(k, "") for k in case_service.CASE_FIELDS}
    if request.method == "POST":
        try:
            registered = case_service.register(db(), me, values)
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
        allowed=may(me.role, Action.REGISTER_CASE),
    ), (400 if errors else 200)
