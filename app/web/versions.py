"""Process versions: history, download, diff between two versions, and migrating instances."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_login import login_required

from app.errors import InvalidInput
from app.services.design import bundles, instance_migration, versions
from app.services.reporting import record_words
from app.web import permissions
from app.web.context import actor, db
from app.web.guard import record_ids

bp = Blueprint("versions", __name__)


@bp.get("/processes/<process_id>/versions")
@login_required
def history(process_id: str) -> str:
    with db().read() as session:
        rows = versions.history(session, process_id)
        name = versions.definition(session, process_id, rows[0].version).name
        people = record_words.audit_people(session, [row.deployed_by for row in rows])
    may_migrate = permissions.allowed("versions.migrate", "POST", actor().role)
    return render_template(
        "versions.html",
        process_id=process_id,
        name=name,
        rows=rows,
        people=people,
        may_migrate=may_migrate,
    )


@bp.get("/processes/<process_id>/versions/<int:version>.bpmn")
@login_required
def download(process_id: str, version: int) -> Response:
    with db().read() as session:
        found = versions.definition(session, process_id, version)
        xml = found.bpmn_xml
    return Response(
        xml,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{process_id}-v{version}.bpmn"'},
    )


@bp.get("/processes/<process_id>/versions/<int:version>.zip")
@login_required
def download_bundle(process_id: str, version: int) -> Response:
    """The version's diagram with its decision tables and forms, as it can be uploaded again."""
    with db().read() as session:
        found = versions.definition(session, process_id, version)
        content = bundles.write(process_id, found.bpmn_xml, found.decisions or {}, found.forms)
    return Response(
        content,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{process_id}-v{version}.zip"'},
    )


@bp.get("/processes/<process_id>/diff")
@login_required
def diff(process_id: str) -> str:
    old = versions.parse_version(request.args.get("from"), "from")
    new = versions.parse_version(request.args.get("to"), "to")
    with db().read() as session:
        result = versions.diff(session, process_id, old, new)
    return render_template("version_diff.html", process_id=process_id, diff=result)


@bp.route("/processes/<process_id>/migrate", methods=["GET", "POST"])
@login_required
def migrate(process_id: str) -> str:
    to = versions.parse_version(request.values.get("to"), "to")
    if request.method == "GET":
        with db().read() as session:
            target = versions.definition(session, process_id, to)
            plans = instance_migration.dry_run(session, process_id, to)
        return render_template(
            "migrate.html", process_id=process_id, target=target, plans=plans, results=None
        )
    chosen = record_ids(request.form.getlist("instance_id"), "instance_id")
    if not chosen:
        raise InvalidInput("请至少选择一个要迁移的流程实例")
    results = instance_migration.apply(db(), actor(), process_id, to, chosen)
    with db().read() as session:
        target = versions.definition(session, process_id, to)
    return render_template(
        "migrate.html", process_id=process_id, target=target, plans=None, results=results
    )
