from __future__ import annotations

from io import BytesIO

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.wrappers import Response

from app.errors import NotFound
from app.models.states import VerificationScope
from app.scheduler import VerificationRunner
from app.services.records import audit, audit_listing, downloads, previews, verifications
from app.services.reporting import inspection, queries, record_words
from app.web.context import actor, db, pdf_cache, settings
from app.web.guard import record_ids

bp = Blueprint("instances", __name__)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.get("/instances")
@login_required
def instance_list() -> str:
    flt = inspection.InstanceFilter.parse(request.args)
    raw_before = request.args.get("before")
    before = record_ids([raw_before], "before")[0] if raw_before else None
    with db().read() as session:
        page = inspection.list_instances(session, actor(), flt, before)
        choices = inspection.process_choices(session)
        units = queries.all_units(session)
    args = {k: v for k, v in request.args.items() if k != "before"}
    return render_template(
        "instances.html", page=page, flt=flt, choices=choices, units=units,
        statuses=inspection.STATUSES, args=args,
    )  # fmt: skip


@bp.get("/instances/<int:instance_id>")
@login_required
def instance_page(instance_id: int) -> str:
    with db().read() as session:
        found = inspection.inspect(session, actor(), instance_id)
        words = record_words.instance_words(session, found)
    return render_template(
        "instance.html", found=found, view=found.view, is_overdue=queries.is_overdue, words=words
    )


@bp.get("/instances/<int:instance_id>/diagram.bpmn")
@login_required
def diagram(instance_id: int) -> Response:
    with db().read() as session:
        view = queries.instance_view(session, actor(), instance_id)
        xml = view.instance.definition.bpmn_xml
    return Response(xml, mimetype="application/xml")


@bp.get("/instances/<int:instance_id>/dossier.zip")
@login_required
def dossier(instance_id: int) -> Response:
    name, content = downloads.dossier(db(), actor(), instance_id)  # audited
    return send_file(
        BytesIO(content), mimetype="application/zip", as_attachment=True, download_name=name
    )


@bp.get("/documents/<int:document_id>")
@login_required
def download(document_id: int) -> Response:
    doc = downloads.document(db(), actor(), document_id)  # audited
    return send_file(
        BytesIO(doc.content), mimetype=DOCX, as_attachment=True, download_name=doc.filename
    )


@bp.get("/documents/<int:document_id>/pdf")
@login_required
def download_pdf(document_id: int) -> Response:
    name, content = downloads.document_pdf(db(), actor(), document_id, pdf_cache())  # audited
    return send_file(
        BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=name
    )


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int) -> Response:
    row = downloads.attachment(db(), actor(), attachment_id)  # audited
    return send_attachment(row)


@bp.get("/attachments/<int:attachment_id>/preview")
@login_required
def attachment_preview(attachment_id: int) -> ResponseReturnValue:
    """The attachment inside the task page's frame: PDF and images as they are, .docx as
    sanitised HTML; the same audited read as the download."""
    found = previews.preview(db(), actor(), attachment_id, settings().data_dir / "attachments")
    if found.kind == "docx":
        response = make_response(render_template("attachment_preview.html", found=found))
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; frame-ancestors 'self'"
        )
    else:
        response = send_file(found.path, mimetype=found.attachment.content_type)
        # PDF opens in the browser's viewer, which a sandboxed response would block
        sandbox = "" if found.kind == "pdf" else "; sandbox"
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; frame-ancestors 'self'{sandbox}"
        )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def send_attachment(row) -> Response:
    path = settings().data_dir / "attachments" / row.storage_name
    if not path.is_file():  # e.g. a database restored without its files
        raise NotFound(f"附件文件缺失：{row.name}（请管理员从完整备份恢复）")
    response = send_file(
        path,
        mimetype=row.content_type,
        as_attachment=True,
        download_name=row.name,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/outage")
@login_required
def outage_report() -> str:
    """停机期间错过的期限: timers that fell due while the app was down and fired at start-up."""
    with db().read() as session:
        events = audit.by_action(session, "timer.missed_during_outage")
    return render_template("outage.html", events=events)


@bp.get("/audit")
@login_required
def audit_log() -> str:
    """The last recorded verification and a page of events (verifying here would read every
    event; listing them all, too)."""
    flt = audit_listing.AuditFilter.parse(request.args)
    raw_before = request.args.get("before")
    before = record_ids([raw_before], "before")[0] if raw_before else None
    with db().read() as session:
        state = verifications.state(session, db().anchor)
        page = audit_listing.page(session, flt, before)
        lines = record_words.audit_lines(session, page.events)
        verifier_name = [state.last.actor] if state.last else []
        people = record_words.audit_people(session, [e.actor for e in page.events] + verifier_name)
    return render_template(
        "audit.html", state=state, page=page, flt=flt, lines=lines, people=people
    )


@bp.post("/audit/verify")
@login_required
def audit_verify_start() -> Response:
    """Start a verification (new events since the last verified checkpoint, or all): the one
    thing an auditor may start; it changes no record, it adds its result (audited)."""
    scope = VerificationScope.FULL if request.form.get("scope") == "full" else VerificationScope.NEW
    verification_id = verifications.begin(db(), actor(), scope, exclusive_of_others=True)
    if verification_id is None:
        flash("上一次校验尚未完成，请稍后刷新本页。")
    else:
        verifier().start(actor().username, verification_id, scope)
        flash("已开始校验审计链，完成后刷新本页可见结果。")
    return redirect(url_for("instances.audit_log"))


def verifier() -> VerificationRunner:
    """Runs the verifications started from the page and the API beside the requests."""
    runner = VerificationRunner(db())  # one per process, kept on the app
    return current_app.extensions.setdefault("huajie.audit_verifier", runner)
