"""JSON API, working a task: the inbox with its filters and counts, 认领 / 放弃认领 / 接手,
暂存 (drafts) and 办理意见 (comments). Same blueprint, token check and permission table as
``app.web.api``."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from werkzeug.wrappers import Response

from app import clock
from app.models import TaskComment, TaskDraft, TaskRecord
from app.services.execution import claims, drafts, task_comments
from app.services.identity import people
from app.services.reporting import inbox, queries
from app.web.api import _actor, _body, _forbid_court, _reading, bp, token_required
from app.web.context import db


def _claim_json(session: Any, task: TaskRecord) -> dict[str, Any] | None:
    held = claims.claim_of(session, task)
    if held is None:
        return None
    return {"username": held.username, "name": held.label, "since": held.since.isoformat()}


@bp.get("/tasks")
@token_required
def list_tasks() -> Response:
    """The caller's open tasks, filtered, searched and sorted; a page at a time (``after``)."""
    _forbid_court()
    wanted = inbox.parse_filter(request.args, default_limit=inbox.MAX_PAGE, strict=True)
    with _reading() as session:
        found = inbox.page(session, _actor(), wanted)
        body = [
            {
                **queries.task_json(session, row.task),
                "process_id": row.process_id,
                "process_name": row.process_name,
                "claimed_by": _claim_json(session, row.task),
            }
            for row in found.rows
        ]
    response = jsonify(body)
    if found.next_after:
        args: dict[str, Any] = wanted.args(after=found.next_after)
        following = url_for("api.list_tasks", **args)
        response.headers["Link"] = f'<{following}>; rel="next"'
        response.headers["X-Next-After"] = found.next_after
    return response


@bp.get("/tasks/counts")
@token_required
def task_counts() -> Response:
    """How many open tasks each filter holds (within the search ``q``)."""
    _forbid_court()
    wanted = inbox.parse_filter(request.args, strict=True)
    with _reading() as session:
        counts = inbox.counts(session, _actor(), wanted)
    return jsonify(
        {
            "total": counts.total, "overdue": counts.overdue, "due_soon": counts.due_soon,
            "due_soon_days": inbox.DUE_SOON, "mine": counts.mine,
            "count_limit": inbox.COUNT_LIMIT,
            "processes": [
                {"process_id": p, "name": name, "count": n} for p, name, n in counts.processes
            ],
        }
    )  # fmt: skip


def _task_with_claim(task_id: int) -> Response:
    with _reading() as session:
        task = session.get(TaskRecord, task_id)
        assert task is not None
        body = {**queries.task_json(session, task), "claimed_by": _claim_json(session, task)}
    return jsonify(body)


@bp.post("/tasks/<int:task_id>/claim")
@token_required
def claim_task(task_id: int) -> Response:
    _forbid_court()
    claims.claim(db(), _actor(), task_id)
    return _task_with_claim(task_id)


@bp.post("/tasks/<int:task_id>/release")
@token_required
def release_task(task_id: int) -> Response:
    _forbid_court()
    claims.release(db(), _actor(), task_id)
    return _task_with_claim(task_id)


@bp.post("/tasks/<int:task_id>/takeover")
@token_required
def take_over_task(task_id: int) -> Response:
    """{reason}: take a colleague's claim over; the colleague is notified."""
    _forbid_court()
    claims.take_over(db(), _actor(), task_id, str(_body().get("reason", "")))
    return _task_with_claim(task_id)


def _draft_json(row: TaskDraft | None) -> dict[str, Any]:
    if row is None:
        return {"data": None, "saved_at": None}
    return {"data": row.data, "saved_at": clock.to_utc(row.saved_at).isoformat()}


# one view per path: with two rules on one path, an id past the database's range answered 405
@bp.route("/tasks/<int:task_id>/draft", methods=["GET", "PUT"])
@token_required
def draft(task_id: int) -> Response:
    """GET: the caller's 暂存; PUT {data}: save it, checked for size and shape only."""
    _forbid_court()
    if request.method == "PUT":
        return jsonify(_draft_json(drafts.save(db(), _actor(), task_id, _body().get("data"))))
    with _reading() as session:
        body = _draft_json(drafts.mine(session, _actor(), task_id))
    return jsonify(body)


def _comment_json(session: Any, row: TaskComment) -> dict[str, Any]:
    return {
        "id": row.id, "task_id": row.task_id, "author": row.author.username,
        "author_name": people.label(row.author), "body": row.body,
        "created_at": row.created_at.isoformat(),
    }  # fmt: skip


@bp.route("/tasks/<int:task_id>/comments", methods=["GET", "POST"])
@token_required
def comments(task_id: int) -> tuple[Response, int]:
    """GET: the 办理意见 of a task, for whoever may read it; POST {body}: add one."""
    _forbid_court()
    if request.method == "POST":
        row = task_comments.add(db(), _actor(), task_id, str(_body().get("body", "")))
        with _reading() as session:
            found = task_comments.for_task(session, _actor(), task_id)
            body = [_comment_json(session, c) for c in found if c.id == row.id][0]
        return jsonify(body), 201
    with _reading() as session:
        listed = [
            _comment_json(session, c) for c in task_comments.for_task(session, _actor(), task_id)
        ]
    return jsonify(listed), 200
