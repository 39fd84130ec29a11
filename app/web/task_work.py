"""What people do on a task page besides submitting it: 认领, 放弃认领, 接手, 暂存, 办理意见."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import login_required
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app.errors import InvalidInput, ServiceError
from app.models import TaskRecord
from app.services.actor import Actor
from app.services.execution import claims, drafts, instances, task_comments
from app.services.identity.permissions import Action, may
from app.web.context import actor, db
from app.web.form_posts import parse_submission

bp = Blueprint("task_work", __name__)


def page_context(session: Session, me: Actor, task: TaskRecord, can_work: bool) -> dict[str, Any]:
    """What the task page shows of claims, drafts and comments (``_task_work.html``)."""
    held = claims.claim_of(session, task) if can_work else None
    mine = held is not None and claims.holds(me, task)
    readable = task_comments.may_read(session, me, task.id)
    return {
        "claim": held,
        "holds_claim": mine,
        # a claimed task is worked by its claimant; the others see who, and may take it over
        "may_fill": can_work and (held is None or mine),
        "may_claim": can_work and may(me.role, Action.CLAIM),
        "may_take_over": can_work and held is not None and not mine,
        "draft": drafts.mine(session, me, task.id) if can_work else None,
        "comments": task_comments.for_task(session, me, task.id) if readable else None,
        "may_comment": readable and may(me.role, Action.COMMENT),
    }


def _back(task_id: int, anchor: str = "") -> Response:
    return redirect(url_for("tasks.task_page", task_id=task_id) + anchor)


def _flash_error(exc: ServiceError) -> None:
    errors = getattr(exc, "errors", {}) or {}
    details = "；".join(m for messages in errors.values() for m in messages if m != exc.message)
    flash(f"{exc.message}：{details}" if details else exc.message, "error")


@bp.post("/tasks/<int:task_id>/claim")
@login_required
def claim(task_id: int) -> Response:
    try:
        claims.claim(db(), actor(), task_id)
    except ServiceError as exc:
        _flash_error(exc)
    else:
        flash("已认领：本单位其他人员将看到由您办理")
    return _back(task_id)


@bp.post("/tasks/<int:task_id>/release")
@login_required
def release(task_id: int) -> Response:
    try:
        claims.release(db(), actor(), task_id)
    except ServiceError as exc:
        _flash_error(exc)
    else:
        flash("已放弃认领")
    return _back(task_id)


@bp.post("/tasks/<int:task_id>/takeover")
@login_required
def take_over(task_id: int) -> Response:
    try:
        claims.take_over(db(), actor(), task_id, request.form.get("reason", ""))
    except ServiceError as exc:
        _flash_error(exc)
    else:
        flash("已接手，原认领人已收到通知")
    return _back(task_id)


@bp.post("/tasks/<int:task_id>/draft")
@login_required
def save_draft(task_id: int) -> Response:
    """暂存 the form as typed (files are not kept)."""
    me = actor()
    try:
        with db().read() as session:
            task = instances.open_task_for(session, me, task_id)
            schema = instances.task_schema(session, task)
        drafts.save(db(), me, task_id, parse_submission(schema, request.form))
    except ServiceError as exc:
        _flash_error(exc)
    else:
        flash("已暂存，下次打开本任务时自动恢复（附件需提交时再上传）")
    return _back(task_id)


@bp.post("/tasks/<int:task_id>/comments")
@login_required
def comment(task_id: int) -> Response:
    try:
        task_comments.add(db(), actor(), task_id, request.form.get("body", ""))
    except InvalidInput as exc:
        _flash_error(exc)
    else:
        flash("办理意见已添加")
    return _back(task_id, "#comments")
