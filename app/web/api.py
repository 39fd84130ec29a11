"""JSON API (``Authorization: Bearer <token>``): the contract court systems and checks use.

Cases, tasks, instances, documents, attachments, messages and the calendar here; management
endpoints (statistics, deadlines, reassignment, definitions) in ``app.web.api_manage``, on the
same blueprint.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from functools import wraps
from io import BytesIO
from typing import Any

from flask import Blueprint, g, jsonify, request, send_file
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app import inputs
from app.models import ProcessInstance
from app.services.actor import Actor
from app.services.court import cases as case_service
from app.services.court import messages
from app.services.errors import Forbidden, InvalidInput, ServiceError
from app.services.execution import completion, holidays, instances, processes
from app.services.identity import access, org
from app.services.records import attachments, downloads
from app.services.reporting import queries, timeline
from app.web import openapi, permissions
from app.web.context import db, json_body, settings
from app.web.instances import DOCX, send_attachment
from app.web.jsonform import validate_submission

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Unauthorized(ServiceError):
    status = 401


def token_required(view):  # type: ignore[no-untyped-def]
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise Unauthorized("缺少访问令牌（Authorization: Bearer …）")
        # one read transaction for the token check and what the endpoint reads; it ends
        # before the endpoint writes (``_writing``) and no endpoint reads after its write
        with ExitStack() as reads:
            session = reads.enter_context(db().read())
            actor = org.actor_for_token(session, header.removeprefix("Bearer ").strip())
            if actor is None:
                raise Unauthorized("访问令牌无效或已撤销")
            g.actor, g.api_reads = actor, (session, reads)
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


@contextmanager
def _reading() -> Iterator[Session]:
    """The request's read transaction, begun with its token check."""
    yield g.api_reads[0]


def _writing() -> AbstractContextManager[Session]:
    """A write transaction, once the request's reads have ended (on SQLite a read left open
    would keep every commit from resetting the WAL, which would then grow without end)."""
    g.api_reads[1].close()
    return db().write()


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
    with _writing() as session:
        registered = case_service.register(session, _actor(), _body())
        result = {
            "id": registered.case.id,
            "case_no": registered.case.case_no,
            "instance_id": registered.instance.id,
        }
    return jsonify(result), 201


@bp.get("/tasks")
@token_required
def list_tasks() -> Response:
    _forbid_court()
    with _reading() as session:
        tasks = [queries.task_json(session, t) for t in queries.inbox(session, _actor(), 1000)]
    return jsonify(tasks)


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
        body["schema"] = instance.definition.forms.get(task.form or "")
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
    with _reading() as session:
        ahead = completion.prepare_completion(session, _actor(), task_id, data, validate_submission)
    with _writing() as session:
        task, _ = completion.complete_task(
            session, _actor(), task_id, data, validate_submission, prepared=ahead
        )
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
    with _writing() as session:  # the download is audited
        doc = downloads.document(session, _actor(), document_id)
    return send_file(
        BytesIO(doc.content), mimetype=DOCX, as_attachment=True, download_name=doc.filename
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
    with _writing() as session:
        instance = processes.start(session, _actor(), process_id, body.get("data"))
        result = {"instance_id": instance.id}
    return jsonify(result), 201


@bp.post("/attachments")
@token_required
def upload_attachment() -> tuple[Response, int]:
    """Upload one file (multipart field ``file``); reference it by id in a task's data."""
    _forbid_court()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("请以 multipart 字段 file 上传文件", {"file": ["缺少文件"]})
    with _writing() as session:
        row = attachments.store(
            session, _actor(), settings().data_dir / "attachments",
            attachments.Upload(upload.filename, upload.read()),
        )  # fmt: skip
        result = row.as_ref()
    return jsonify(result), 201


@bp.get("/attachments/<int:attachment_id>")
@token_required
def get_attachment(attachment_id: int) -> Response:
    _forbid_court()
    with _writing() as session:  # the download is audited
        row = downloads.attachment(session, _actor(), attachment_id)
    return send_attachment(row)


@bp.post("/messages")
@token_required
def receive_message() -> tuple[Response, int]:
    """A court event: {name, case_no, payload, idempotency_key}."""
    with _writing() as session:
        received = messages.receive(session, _actor(), _body())
        result = messages.message_json(received.message, received.duplicate)
    return jsonify(result), 200 if received.duplicate else 201


@bp.get("/cases")
@token_required
def search_cases() -> Response:
    _forbid_court()
    with _reading() as session:
        found = timeline.search(session, _actor(), request.args.get("q", "").strip())
        result = [
            {"id": c.id, "case_no": c.case_no, "plaintiff": c.plaintiff,
             "agency_unit": c.agency.code, "subject": c.subject, "outcome": c.outcome}
            for c in found
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
    with _writing() as session:
        instance = case_service.start_for_case(
            session, _actor(), case_id, str(body.get("process_id", ""))
        )
        result = {"instance_id": instance.id}
    return jsonify(result), 201
