"""Starting processes from the web: one button per process the user's unit may start."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.models import TaskRecord
from app.models.states import TaskStatus
from app.services.execution import instances, processes
from app.web import permissions
from app.web.context import actor, db

bp = Blueprint("processes", __name__)


@bp.get("/processes")
@login_required
def start_page(errors: dict[str, list[str]] | None = None) -> str:
    """The processes a user may start; for modelers, every process and 新建流程 (``errors``:
    what was wrong with a new process' id, name or template)."""
    with db().read() as session:
        items = processes.startable(session, actor())
        modelable = (
            processes.latest_definitions(session)
            if permissions.allowed("modeler.page", "GET", current_user.role)
            else []
        )
    return render_template(
        "processes.html", items=items, modelable=modelable, errors=errors or {},
        may_create=permissions.allowed("modeler.new_page", "GET", current_user.role),
    )  # fmt: skip


@bp.post("/processes/<process_id>/start")
@login_required
def start(process_id: str) -> Response:
    me = actor()
    instance = processes.start(db(), me, process_id, {})
    with db().read() as session:
        first = session.scalar(
            select(TaskRecord)
            .where(TaskRecord.instance_id == instance.id, TaskRecord.status == TaskStatus.OPEN)
            .order_by(TaskRecord.id)
            .limit(1)
        )
        mine = first is not None and instances.can_work_on(me, first)
        target = (
            url_for("tasks.task_page", task_id=first.id)
            if mine and first
            else url_for("instances.instance_page", instance_id=instance.id)
        )
    return redirect(target)
