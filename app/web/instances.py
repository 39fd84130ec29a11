from __future__ import annotations

from io import BytesIO

from flask import Blueprint, render_template, send_file
from flask_login import login_required
from werkzeug.wrappers import Response

from app.services import queries
from app.web.context import actor, db

bp = Blueprint("instances", __name__)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.get("/instances/<int:instance_id>")
@login_required
def instance_page(instance_id: int) -> str:
    with db().read() as session:
        view = queries.instance_view(session, actor(), instance_id)
    return render_template("instance.html", view=view, is_overdue=queries.is_overdue)


@bp.get("/documents/<int:document_id>")
@login_required
def download(document_id: int) -> Response:
    with db().read() as session:
        doc = queries.document_for(session, actor(), document_id)
    return send_file(
        BytesIO(doc.content), mimetype=DOCX, as_attachment=True, download_name=doc.filename
    )
