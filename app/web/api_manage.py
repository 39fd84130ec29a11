"""JSON API, management endpoints: loss-rate statistics and evaluations, deadlines,
reassignment and substitutes, deploying process definitions. Same blueprint, token check and
permission table as ``app.web.api``."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response

from app.errors import InvalidInput
from app.services.court import court_lists, reconsiderations
from app.services.design import bundles, definitions
from app.services.execution import assignment, deadlines, incident_retry, incidents
from app.services.identity import org
from app.services.reporting import evaluation, queries, stats
from app.web.api import _actor, _body, _forbid_court, _reading, bp, token_required
from app.web.context import db, settings


@bp.post("/imports/<kind>")
@token_required
def import_court_list(kind: str) -> tuple[Response, int]:
    """A court's list (multipart ``file``, .xlsx or .csv); ``dry_run`` (default ``true``) checks
    every row and stores nothing, ``false`` imports the valid ones."""
    _forbid_court()
    found = court_lists.list_kind(kind)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("请以 multipart 字段 file 上传清单", {"file": ["缺少文件"]})
    dry_run = request.form.get("dry_run", "true").strip().lower()
    if dry_run not in ("true", "false"):
        raise InvalidInput("dry_run 应为 true 或 false", {"dry_run": ["应为 true 或 false"]})
    content = upload.read()
    if dry_run == "true":
        with _reading() as session:
            report = court_lists.preview(session, _actor(), found, upload.filename, content)
    else:
        report = court_lists.run(db(), _actor(), found, upload.filename, content)
    return jsonify(_report_json(report, dry_run == "true")), 200


def _report_json(report: court_lists.Report, dry_run: bool) -> dict[str, Any]:
    return {
        "kind": report.kind.key, "filename": report.filename, "sha256": report.sha256,
        "dry_run": dry_run, "ignored_columns": report.ignored_columns,
        "counts": {s: report.count(s) for s in court_lists.STATUS_LABELS},
        "rows": [
            {"row": r.number, "status": r.status, "values": r.shown, "problems": r.problems}
            for r in report.rows
        ],
    }  # fmt: skip


@bp.get("/stats/loss-rate")
@token_required
def loss_rate() -> Response:
    """Per-unit loss rates for ?from=YYYY-MM-DD&to=YYYY-MM-DD, with numerator and denominator."""
    _forbid_court()
    period = stats.Period.parse(request.args.get("from"), request.args.get("to"))
    with _reading() as session:
        rows = [r.as_dict() for r in stats.loss_rates(session, _actor(), period)]
        corrections = [r.as_dict() for r in stats.correction_rates(session, _actor(), period)]
        threshold = stats.loss_rate_threshold(session)
    return jsonify(
        {"from": period.start.isoformat(), "to": period.end.isoformat(),
         "threshold": threshold, "units": rows, "reconsideration": corrections}
    )  # fmt: skip


@bp.post("/reconsiderations")
@token_required
def record_reconsideration() -> tuple[Response, int]:
    """A 行政复议决定 recorded by the bureau; a correcting one starts mechanism 9's review."""
    _forbid_court()
    recorded = reconsiderations.record(db(), _actor(), _body())
    case = recorded.case
    return jsonify({"id": case.id, "case_no": case.case_no, "started": recorded.started}), 201


@bp.post("/tasks/<int:task_id>/service")
@token_required
def record_service(task_id: int) -> Response:
    """{served_on, evidence, files: [attachment ids]}: 登记送达 of what the task answers."""
    _forbid_court()
    body = _body()
    task = deadlines.record_service(
        db(), _actor(), task_id, body.get("served_on"), body.get("evidence"),
        file_ids=body.get("files"),
    )  # fmt: skip
    return _task_json(task)


@bp.post("/evaluations")
@token_required
def run_evaluation() -> tuple[Response, int]:
    """On-demand loss-rate evaluation for {from, to}: interviews for units above threshold."""
    _forbid_court()
    body = _body()
    period = stats.Period.parse(body.get("from"), body.get("to"))
    result = evaluation.evaluate(db(), _actor(), period)
    payload = {
        "period": result.label, "threshold": result.threshold,
        "units": [r.as_dict() for r in result.rates], "above_threshold": result.above,
        "started": result.started,
    }  # fmt: skip
    return jsonify(payload), 201


@bp.post("/tasks/<int:task_id>/deadline")
@token_required
def manage_deadline(task_id: int) -> Response:
    """{action: suspend|resume|extend, reason, days?}: 中止 / 恢复 / 延长 a task's deadline."""
    _forbid_court()
    body = _body()
    action, reason = body.get("action"), str(body.get("reason", ""))
    if action == "suspend":
        task = deadlines.suspend(db(), _actor(), task_id, reason)
    elif action == "resume":
        task = deadlines.resume(db(), _actor(), task_id, reason)
    elif action == "extend":
        task = deadlines.extend(db(), _actor(), task_id, body.get("days"), reason)
    else:
        raise InvalidInput("action 须为 suspend、resume 或 extend", {"action": ["取值有误"]})
    return _task_json(task)


@bp.post("/tasks/<int:task_id>/reassign")
@token_required
def reassign_task(task_id: int) -> Response:
    """{username, reason}: the unit's head gives the task to someone else in the unit."""
    _forbid_court()
    body = _body()
    task = assignment.reassign(
        db(), _actor(), task_id, str(body.get("username", "")), str(body.get("reason", ""))
    )
    return _task_json(task)


@bp.post("/tasks/bulk")
@token_required
def bulk_tasks() -> Response:
    """{action: reassign|remind, task_ids, username?, reason}: a result per task."""
    _forbid_court()
    body = _body()
    ids = body.get("task_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids) or len(ids) > 500:
        raise InvalidInput("task_ids 须为整数列表（最多 500 项）", {"task_ids": ["取值有误"]})
    results = assignment.bulk(
        db(), _actor(), str(body.get("action", "")), ids,
        str(body.get("username", "")), str(body.get("reason", "")),
    )  # fmt: skip
    return jsonify({"results": results})


@bp.post("/substitutes")
@token_required
def name_substitute() -> tuple[Response, int]:
    """{substitute, starts_on, ends_on, reason}: someone in my unit works my tasks meanwhile."""
    _forbid_court()
    body = _body()
    row = assignment.name_substitute(
        db(), _actor(), str(body.get("substitute", "")), str(body.get("starts_on", "")),
        str(body.get("ends_on", "")), str(body.get("reason", "")),
    )  # fmt: skip
    result = {"id": row.id, "starts_on": row.starts_on, "ends_on": row.ends_on}
    org.forget_token_actors()  # the substitute acts for me from the next request on
    return jsonify(result), 201


@bp.post("/process-definitions")
@token_required
def deploy_definition() -> tuple[Response, int]:
    """Multipart ``file`` parts (the .bpmn with its .dmn and form .json files, or one .zip of
    them) and optional ``comment``: validate, then deploy a version."""
    parts = [f for f in request.files.getlist("file") if f.filename]
    if not parts:
        message = "请以 multipart 字段 file 上传 .bpmn 文件（可同时上传 .dmn、.json 或一个 .zip）"
        return jsonify(error=message, errors=[{"element_id": "", "message": message}]), 400
    files = [
        bundles.UploadedFile(str(f.filename), f.read(definitions.MAX_UPLOAD_BYTES + 1))
        for f in parts[: bundles.MAX_FILES + 1]
    ]
    confirmed = request.form.get("confirm_new_version", "").lower() in ("true", "1", "yes")
    result = definitions.upload(
        db(), _actor(), files, settings().forms_dir, str(request.form.get("comment", "")),
        confirmed,
    )  # fmt: skip
    warnings = [_problem_json(p) for p in result.problems if p.severity != "error"]
    problems = [p.as_dict() for p in result.problems]
    if result.definition is None:
        errors = [_problem_json(p) for p in result.errors]
        return jsonify(
            error="流程定义未通过校验", errors=errors, warnings=warnings, problems=problems
        ), 400
    body = {
        "process_id": result.definition.process_id,
        "version": result.definition.version,
        "sha256": result.definition.sha256,
        "unchanged": not result.created,
        "warnings": warnings,
        "problems": problems,
    }
    return jsonify(body), 201 if result.created else 200


def _task_json(task: Any) -> Response:
    with _reading() as session:
        return jsonify(queries.task_json(session, task))


def _problem_json(problem: Any) -> dict[str, object]:
    """The short form of ``problems`` (kept for clients written before it)."""
    return {"element_id": problem.element_id, "message": problem.message}


@bp.get("/incidents")
@token_required
def list_incidents() -> Response:
    """The open incidents: instances a run-time error stopped (process owners)."""
    _forbid_court()
    with _reading() as session:
        found = incidents.open_incidents(session, _actor())
        return jsonify([incidents.incident_json(i) for i in found])


@bp.post("/incidents/<int:incident_id>/retry")
@token_required
def retry_incident(incident_id: int) -> Response:
    """{data?: {field: value}, reason}: run the failed step again with the data corrected
    (a reason is required with data)."""
    _forbid_court()
    body = _body()
    incident_retry.retry(db(), _actor(), incident_id, body.get("data"), body.get("reason"))
    with _reading() as session:
        return jsonify(incidents.incident_json(incidents.find(session, _actor(), incident_id)))
