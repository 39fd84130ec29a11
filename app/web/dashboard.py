"""统计分析: charts, Excel export and the on-demand loss-rate evaluation."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app.services.identity.permissions import Action, may
from app.services.reporting import bulletin as bulletin_report
from app.services.reporting import evaluation, export, stats
from app.web.context import actor, db

bp = Blueprint("dashboard", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _period() -> stats.Period:
    return stats.Period.parse(request.args.get("from"), request.args.get("to"))


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    period = _period()
    with db().read() as session:
        board = stats.dashboard(session, actor(), period)
    return render_template(
        "dashboard.html", board=board, may_evaluate=may(actor().role, Action.EVALUATE)
    )


@bp.get("/dashboard.xlsx")
@login_required
def dashboard_excel() -> Response:
    period = _period()
    with db().read() as session:
        content = export.dashboard_xlsx(stats.dashboard(session, actor(), period))
    name = f"败诉率统计-{period.start.isoformat()}-{period.end.isoformat()}.xlsx"
    return send_file(BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=name)


@bp.get("/dashboard/bulletin.docx")
@login_required
def bulletin() -> Response:
    """败诉率通报 for the period, as .docx (those who see every unit)."""
    period = _period()
    with db().read() as session:
        name, content = bulletin_report.render(session, actor(), period)
    return send_file(BytesIO(content), mimetype=DOCX, as_attachment=True, download_name=name)


@bp.post("/dashboard/evaluate")
@login_required
def evaluate() -> Response:
    period = stats.Period.parse(request.form.get("from"), request.form.get("to"))
    result = evaluation.evaluate(db(), actor(), period)
    message = f"已完成 {result.label} 的败诉率评估：{len(result.above)} 个单位超过阈值"
    if result.missing_process:
        message += "；约谈流程未部署，未生成约谈任务"
    elif result.started:
        message += f"，已生成 {len(result.started)} 项区领导约谈任务"
    elif result.above:
        message += "（本期间已生成过约谈任务）"
    flash(message)
    shown: dict[str, Any] = {
        "from": request.form.get("from", ""),
        "to": request.form.get("to", ""),
    }
    return redirect(url_for("dashboard.dashboard", **shown))
