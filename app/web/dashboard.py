"""统计分析: charts, Excel export and the on-demand loss-rate evaluation."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from app.services import evaluation, export, stats
from app.web.context import actor, db

bp = Blueprint("dashboard", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period() -> stats.Period:
    return stats.Period.parse(request.args.get("from"), request.args.get("to"))


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    period = _period()
    with db().read() as session:
        board = stats.dashboard(session, actor(), period)
    return render_template(
        "dashboard.html", board=board, may_evaluate=actor().role in evaluation.EVALUATOR_ROLES
    )


@bp.get("/dashboard.xlsx")
@login_required
def dashboard_excel() -> Response:
    period = _period()
    with db().read() as session:
        content = export.dashboard_xlsx(stats.dashboard(session, actor(), period))
    name = f"败诉率统计-{period.start.isoformat()}-{period.end.isoformat()}.xlsx"
    return send_file(BytesIO(content), mimetype=XLSX, as_attachment=True, download_name=name)


@bp.post("/dashboard/evaluate")
@login_required
def evaluate() -> Response:
    period = stats.Period.parse(request.form.get("from"), request.form.get("to"))
    with db().write() as session:
        result = evaluation.evaluate(session, actor(), period)
        started = len(result.started)
    flash(f"已完成{result.label}败诉率评估：{started} 个单位超过阈值，已生成约谈任务")
    return redirect(
        url_for(
            "dashboard.dashboard",
            **{"from": request.form.get("from", ""), "to": request.form.get("to", "")},
        )
    )
