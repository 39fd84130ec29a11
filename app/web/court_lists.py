"""导入法院清单: the center uploads a court's list of referred cases or of judgments, sees every
row as it will be recorded with its problems, and confirms. The API does the same in one call
(``POST /api/v1/imports/<kind>``, in ``app.web.api_manage``)."""

from __future__ import annotations

import base64
import binascii
from io import BytesIO

from flask import Blueprint, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app.errors import InvalidInput
from app.services.court import court_lists
from app.web.context import actor, db
from app.web.dashboard import XLSX

bp = Blueprint("court_lists", __name__)


def _page(**context: object) -> str:
    return render_template("court_lists.html", kinds=court_lists.KINDS, **context)


@bp.get("/imports")
@login_required
def page() -> ResponseReturnValue:
    return _page(report=None, error=None, kind=request.args.get("kind", "referred_cases"))


@bp.post("/imports")
@login_required
def upload() -> ResponseReturnValue:
    """Preview an uploaded list (nothing stored), or import one confirmed from its preview."""
    kind = court_lists.list_kind(request.form.get("kind", ""))
    if request.form.get("confirm"):
        filename = request.form.get("filename", "")
        try:
            content = base64.b64decode(request.form.get("content", ""), validate=True)
        except (binascii.Error, ValueError):
            return _page(report=None, error="文件内容已损坏，请重新上传", kind=kind.key), 400
    else:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return _page(report=None, error="请选择要导入的文件", kind=kind.key), 400
        filename, content = upload.filename, upload.read()
    try:
        if request.form.get("confirm"):
            report = court_lists.run(db(), actor(), kind, filename, content)
        else:
            with db().read() as session:
                report = court_lists.preview(session, actor(), kind, filename, content)
    except InvalidInput as exc:
        problems = "；".join(m for ms in exc.errors.values() for m in ms) or exc.message
        return _page(report=None, error=problems, kind=kind.key), 400
    return _page(
        report=report, error=None, kind=kind.key, confirmed=bool(request.form.get("confirm")),
        content=base64.b64encode(content).decode(),
    )  # fmt: skip


@bp.get("/imports/template/<kind>.xlsx")
@login_required
def template(kind: str) -> ResponseReturnValue:
    found = court_lists.list_kind(kind)
    return send_file(
        BytesIO(court_lists.template(found)), mimetype=XLSX, as_attachment=True,
        download_name=f"{found.label}模板.xlsx",
    )  # fmt: skip
