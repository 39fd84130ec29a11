"""Uploading a diagram drawn in another modeler (Camunda Modeler, SpiffArena, bpmn.io): every
problem listed at once, or the version it became."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from app.services.design import definitions
from app.web.context import actor, db, settings

bp = Blueprint("uploads", __name__)


@bp.get("/processes/upload")
@login_required
def upload_page() -> str:
    return render_template("upload.html", result=None)


@bp.post("/processes/upload")
@login_required
def upload() -> tuple[str, int]:
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return render_template("upload.html", result=None, missing=True), 400
    result = definitions.upload(
        db(), actor(), sent.filename, sent.read(definitions.MAX_UPLOAD_BYTES + 1),
        settings().forms_dir, str(request.form.get("comment", "")),
        request.form.get("confirm_new_version") == "1",
    )  # fmt: skip
    status = 400 if result.definition is None else 200
    return render_template(
        "upload.html", result=result, filename=sent.filename, confirm=_asks_confirmation(result)
    ), status


def _asks_confirmation(result: definitions.Upload) -> bool:
    return any(p.code == "CONFIRM_VERSION" for p in result.problems)
