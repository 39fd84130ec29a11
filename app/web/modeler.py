"""The web modeler: a page per process (bpmn-js) and the JSON calls it makes.

Reading is open to process owners, the bureau and auditors; validating and deploying to
process owners and admins (the permission table). Errors of the JSON calls are JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import clock
from app.errors import InvalidInput, ServiceError
from app.services.design import definitions, modeling, new_process, page_forms
from app.web import permissions
from app.web.context import actor, db, json_body, settings

bp = Blueprint("modeler", __name__)
JSON_ENDPOINTS = {"modeler.validate", "modeler.deploy", "modeler.forms", "modeler.preview"}
BUNDLE = "modeler/dist/modeler.js"  # built by `npm run build` (scripts/setup)


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> Any:
    if request.endpoint not in JSON_ENDPOINTS:
        return render_template("error.html", message=exc.message, status=exc.status), exc.status
    body: dict[str, Any] = {"error": exc.message, "errors": getattr(exc, "errors", None)}
    if isinstance(exc, modeling.DeployRefused):
        body["problems"] = modeling.as_json(exc.problems)
    return jsonify(body), exc.status


def _json_body() -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        raise InvalidInput("请求须为 JSON 对象")
    xml = body.get("xml")
    if not isinstance(xml, str) or not xml.strip():
        raise InvalidInput("缺少流程图 XML", {"xml": ["此项为必填项"]})
    return body


@bp.get("/processes/<process_id>/modeler")
@login_required
def page(process_id: str) -> str:
    with db().read() as session:
        definition = definitions.latest_definition(session, process_id)
        assert definition is not None
        context = modeling.page_context(
            definition, modeling.process_forms(settings().forms_dir, process_id)
        )
    return render_template(
        "modeler.html",
        context=context,
        today=clock.local_now().date().isoformat(),
        bundle_built=(Path(current_app.static_folder or "") / BUNDLE).is_file(),
        can_deploy=permissions.allowed("modeler.deploy", "POST", current_user.role),
    )


@bp.get("/processes/new/modeler")
@login_required
def new_page() -> Any:
    """新建流程: the modeler on a blank template or a copy of a deployed process; stored when
    deployed. A bad id, name or template is shown on the processes page, every problem at once."""
    args = request.args
    with db().read() as session:
        try:
            context = new_process.page_context(
                session, args.get("process_id", "").strip(), args.get("name", ""),
                args.get("template", ""), settings().forms_dir,
            )  # fmt: skip
        except InvalidInput as exc:
            from app.web.processes import start_page

            return start_page(exc.errors), 400
    return render_template(
        "modeler.html",
        context=context,
        today=clock.local_now().date().isoformat(),
        bundle_built=(Path(current_app.static_folder or "") / BUNDLE).is_file(),
        can_deploy=True,
    )


@bp.get("/processes/<process_id>/modeler/forms")
@login_required
def forms(process_id: str) -> Response:
    with db().read() as session:
        definitions.latest_definition(session, process_id)  # 404 for an unknown process
    return jsonify(modeling.process_forms(settings().forms_dir, process_id).as_json())


@bp.post("/processes/<process_id>/validate")
@login_required
def validate(process_id: str) -> Response:
    body = _json_body()
    with db().read() as session:
        if body.get("new") is not True:  # a new process' page validates before it exists
            definitions.latest_definition(session, process_id)  # 404 for an unknown process
        found = modeling.problems(
            session, process_id, body["xml"].encode("utf-8"), settings().forms_dir,
            page_forms.parse(process_id, body.get("forms"), settings().forms_dir),
        )  # fmt: skip
    return jsonify(problems=modeling.as_json(found))


@bp.post("/processes/<process_id>/deploy")
@login_required
def deploy(process_id: str) -> Response:
    body = _json_body()
    comment = body.get("comment")
    done = modeling.deploy(
        db(),
        actor(),
        process_id,
        body["xml"].encode("utf-8"),
        comment if isinstance(comment, str) else "",
        settings().forms_dir,
        page_forms.parse(process_id, body.get("forms"), settings().forms_dir),
    )
    return jsonify(
        process_id=done.definition.process_id,
        version=done.definition.version,
        unchanged=done.unchanged,
    )


@bp.get("/processes/deadline-preview")
@login_required
def preview() -> Response:
    args = request.args
    with db().read() as session:
        found = modeling.deadline_preview(
            session, args.get("kind", ""), args.get("days", ""), args.get("date", "")
        )
    return jsonify(
        due=found.due.isoformat(), explanation=found.explanation, provisional=found.provisional
    )
