"""JSON API (``Authorization: Bearer <token>``): the contract court systems and checks use.

Cases, tasks, instances, documents, attachments, messages and the calendar here; management
endpoints (statistics, deadlines, reassignment, definitions) in ``app.web.api_manage``, on the
same blueprint.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from functools import wraps
from io import BytesIO
from typing import Any

from flask import Blueprint, g, jsonify, request, send_file
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app import inputs
from app.errors import Forbidden, InvalidInput, ServiceError
from app.models import ProcessInstance
from app.services.actor import Actor
from app.services.court import cases as case_service
from app.services.court import messages
from app.services.execution import completion, holidays, instances, process_messages, processes
from app.services.identity import access, org
from app.services.records import attachments, downloads
from app.services.reporting import queries, timeline
from app.web import openapi, permissions
from app.web.context import db, json_body, pdf_cache, settings
from app.web.instances import DOCX, send_attachment

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Unauthorized(ServiceError):
    status = 401


def token_required(view):
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise Unauthorized("缺少访问令牌（Authorization: Bearer …）")
        with db().read() as session:
            actor = org.actor_for_token(session, header.removeprefix("Bearer ").strip())
        if actor is None:
            raise Unauthorized("访问令牌无效或已撤销")
        g.actor = actor
        if not permissions.allowed(request.endpoint, request.method, actor.role):
            if actor.role == "auditor":
                raise Forbidden("审计人员为只读角色，不能进行任何修改")
            if actor.role == "court":
                raise Forbidden("法院令牌只能发送消息")
            raise Forbidden("您的角色无权使用此接口")
        openapi.check_query(request.endpoint or "", request.args.keys())
        return view(*args, **kwargs)

    return wrapper


def _actor() -> Actor:
    return g.actor


def _reading() -> AbstractContextManager[Session]:
    """A read transaction for what the endpoint shows (changes go through the services, which
    own their transactions)."""
    return db().read()


def _body() -> dict[str, Any]:
    """The JSON body, checked against the endpoint's request schema in the OpenAPI document."""
    return openapi.validate_body(request.endpoint or "", json_body())


def _instance_json(view: queries.InstanceView) -> dict[str, Any]:
    inst: ProcessInstance = view.instance
    return {
        "id": inst.id,
        "status": inst.status,
        "case_id": inst.case_id,
        "case_no": view.case.case_no if view.case else None,
        "started_at": inst.started_at.isoformat(),
        "ended_at": inst.ended_at.isoformat() if inst.ended_at else None,
        "definition": {
            "process_id": inst.definition.process_id,
            "version": inst.definition.version,
            "name": inst.definition.name,
            "sha256": inst.definition.sha256,
        },
        "tasks": [
            {
                "id": t.id,
                "name": t.name,
                "bpmn_id": t.bpmn_id,
                "unit": t.unit.code if t.unit else None,
                "status": t.status,
                "created_at": t.created_at.isoformat(),
                "due_at": t.due_at.isoformat() if t.due_at else None,
                "provisional": t.provisional,
                "completed_at": t.completed_at.isoformat() if t.completed_at else None,
                "completed_by": t.completed_by,
                "readable": t.id in view.readable,
                "data": view.data_of(t),
            }
            for t in view.tasks
        ],
        "timers": [
            {
                "id": t.id,
                "name": t.name,
                "bpmn_id": t.bpmn_id,
                "task_id": t.task_record_id,
                "due_at": t.due_at.isoformat(),
                "provisional": t.provisional,
                "status": t.status,
                "fired_at": t.fired_at.isoformat() if t.fired_at else None,
                "explanation": t.explanation,
            }
            for t in view.timers
        ],
        "documents": [
            {"id": d.id, "kind": d.kind, "name": d.name, "doc_no": d.doc_no, "sha256": d.sha256}
            for d in view.documents
        ],
    }


def _forbid_court() -> None:
    if _actor().role == "court":
        raise Forbidden("法院令牌只能发送消息")


@bp.post("/cases")
@token_required
def create_case() -> tuple[Response, int]:
    _forbid_court()
    registered = case_service.register(db(), _actor(), _body())
    result = {
        "id": registered.case.id,
        "case_no": registered.case.case_no,
        "instance_id": registered.instance.id,
    }
    return jsonify(result), 201


@bp.get("/tasks/<int:task_id>")
@token_required
def get_task(task_id: int) -> Response:
    _forbid_court()
    with _reading() as session:
        task = instances.open_task_for(session, _actor(), task_id)
        body = queries.task_json(session, task)
        instance = session.get(ProcessInstance, task.instance_id)
        assert instance is not None
        body["form"] = task.form
        body["schema"] = (
            instance.definition.forms.get(task.form)
            if task.form
            else instances.confirm_schema(task)
        )
        body["instructions"] = task.instructions
        body["confirm"] = not task.form
        readable = access.may_read_task(session, _actor(), task)
        body["readable"] = readable
        body["data"] = task.data if readable else None
    return jsonify(body)


@bp.post("/tasks/<int:task_id>/complete")
@token_required
def complete_task(task_id: int) -> Response:
    _forbid_court()
    body = _body()
    data = body.get("data")
    if not isinstance(data, dict):
        raise InvalidInput("请求体须包含 data 对象", {"data": ["应为对象"]})
    task, _ = completion.submit(db(), _actor(), task_id, data)
    with _reading() as session:
        result = queries.task_json(session, task)
    return jsonify(result)


@bp.get("/instances/<int:instance_id>")
@token_required
def get_instance(instance_id: int) -> Response:
    _forbid_court()
    with _reading() as session:
        view = queries.instance_view(session, _actor(), instance_id)
        body = _instance_json(view)
    return jsonify(body)


@bp.get("/documents/<int:document_id>")
@token_required
def get_document(document_id: int) -> Response:
    _forbid_court()
    doc = downloads.document(db(), _actor(), document_id)  # audited
    return send_file(
        BytesIO(doc.content), mimetype=DOCX, as_attachment=True, download_name=doc.filename
    )


@bp.get("/documents/<int:document_id>/pdf")
@token_required
def get_document_pdf(document_id: int) -> Response:
    _forbid_court()
    name, content = downloads.document_pdf(db(), _actor(), document_id, pdf_cache())  # audited
    return send_file(
        BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=name
    )


def _days_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 1 <= value <= holidays.MAX_PERIOD_DAYS:
        limit = f"1 至 {holidays.MAX_PERIOD_DAYS}"
        raise InvalidInput(f"{name} 须为 {limit} 的整数", {name: [f"须为 {limit} 的整数"]})
    return value


@bp.get("/calendar/deadline")
@token_required
def deadline() -> Response:
    _forbid_court()
    try:
        start = inputs.parse_day(request.args.get("from", ""))
    except inputs.DateInputError as exc:
        raise InvalidInput(f"from：{exc}", {"from": [str(exc)]}) from exc
    with _reading() as session:
        result = holidays.deadline(
            session, start, _days_arg("working_days"), _days_arg("calendar_days")
        )
    return jsonify(
        {
            "from": start.isoformat(),
            "rule": result.rule,
            "n": result.n,
            "deadline": result.due_date.isoformat(),
            "due_at": result.due_at.isoformat(),
            "provisional": result.provisional,
            "explanation": result.explain(),
        }
    )


@bp.get("/processes")
@token_required
def list_processes() -> Response:
    _forbid_court()
    with _reading() as session:
        items = processes.startable(session, _actor())
    return jsonify(
        [
            {
                "process_id": i.process_id,
                "name": i.name,
                "version": i.version,
                "start_lane": i.start_lane,
            }
            for i in items
        ]  # fmt: skip
    )


@bp.post("/processes/<process_id>/instances")
@token_required
def start_process(process_id: str) -> tuple[Response, int]:
    _forbid_court()
    body = _body()
    instance = processes.start(db(), _actor(), process_id, body.get("data"))
    return jsonify({"instance_id": instance.id}), 201


@bp.post("/attachments")
@token_required
def upload_attachment() -> tuple[Response, int]:
    """Upload one file (multipart field ``file``); reference it by id in a task's data."""
    _forbid_court()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("请以 multipart 字段 file 上传文件", {"file": ["缺少文件"]})
    row = attachments.store(
        db(), _actor(), settings().data_dir / "attachments",
        attachments.Upload(upload.filename, upload.read()),
    )  # fmt: skip
    return jsonify(row.as_ref()), 201


@bp.get("/attachments/<int:attachment_id>")
@token_required
def get_attachment(attachment_id: int) -> Response:
    _forbid_court()
    row = downloads.attachment(db(), _actor(), attachment_id)  # audited
    return send_attachment(row)


@bp.post("/messages")
@token_required
def receive_message() -> tuple[Response, int]:
    """A court event {name, case_no, payload, idempotency_key}, or a process message
    {name, correlation, payload, idempotency_key} (no case number)."""
    body = _body()
    if "case_no" in body or _actor().role == "court":
        received = messages.receive(db(), _actor(), body)
        result = messages.message_json(received.message, received.duplicate)
        return jsonify(result), 200 if received.duplicate else 201
    sent = process_messages.receive(db(), _actor(), body)
    result = process_messages.message_json(sent.message, sent.duplicate)
    return jsonify(result), 200 if sent.duplicate else 201


@bp.get("/cases")
@token_required
def search_cases() -> Response:
    _forbid_court()
    archived = request.args.get("archived", "").strip().lower()
    if archived not in {"", "0", "1", "true", "false"}:
        raise InvalidInput("查询参数有误", {"archived": ["须为 1 或 0（是否包含已归档的案件）"]})
    with _reading() as session:
        found = timeline.search(
            session, _actor(), request.args.get("q", "").strip(), archived=archived in {"1", "true"}
        )
        result = [
            {"id": c.id, "case_no": c.case_no, "plaintiff": c.plaintiff,
             "agency_unit": c.agency.code, "subject": c.subject, "outcome": c.outcome,
             "archived": in_archive}
            for c, in_archive in found
        ]  # fmt: skip
    return jsonify(result)


@bp.get("/cases/<int:case_id>")
@token_required
def get_case(case_id: int) -> Response:
    _forbid_court()
    with _reading() as session:
        result = timeline.timeline_json(timeline.build(session, _actor(), case_id))
    return jsonify(result)


@bp.post("/cases/<int:case_id>/instances")
@token_required
def start_for_case(case_id: int) -> tuple[Response, int]:
    """Start a case-bound mechanism by hand: {process_id}."""
    _forbid_court()
    body = _body()
    instance = case_service.start_for_case(db(), _actor(), case_id, str(body.get("process_id", "")))
    return jsonify({"instance_id": instance.id}), 201
