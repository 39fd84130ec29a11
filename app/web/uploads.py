"""Uploading a diagram drawn in another modeler (Camunda Modeler, SpiffArena, bpmn.io): every
problem listed at once, or the version it became."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from app.services.design import bundles, definitions
from app.web.context import actor, db, settings

bp = Blueprint("uploads", __name__)


@bp.get("/processes/upload")
@login_required
def upload_page() -> str:
    return render_template("upload.html", result=None)


@bp.post("/processes/upload")
@login_required
def upload() -> tuple[str, int]:
    parts = [f for f in request.files.getlist("file") if f.filename]
    if not parts:
        return render_template("upload.html", result=None, missing=True), 400
    files = [
        bundles.UploadedFile(str(f.filename), f.read(definitions.MAX_UPLOAD_BYTES + 1))
        for f in parts[: bundles.MAX_FILES + 1]
    ]
    result = definitions.upload(
        db(), actor(), files, settings().forms_dir, str(request.form.get("comment", "")),
        request.form.get("confirm_new_version") == "1",
    )  # fmt: skip
    status = 400 if result.definition is None else 200
    return render_template(
        "upload.html",
        result=result,
        filename=parts[0].filename,
        confirm=_asks_confirmation(result),
    ), status


def _asks_confirmation(result: definitions.Upload) -> bool:
    return any(p.code == "CONFIRM_VERSION" for p in result.problems)
