"""The OpenAPI 3.1 document of the JSON API, served at ``GET /api/v1/openapi.json``.

One place for the contract: the document lists what each endpoint accepts and every status it
can answer, and the endpoints validate their JSON bodies against the same request schemas
(``validate_body``), so the schema and the checks cannot drift apart. The served copy lists only
the operations whose routes exist in the running app (a route added on another branch is
described here before it exists); ``tests/test_openapi.py`` checks the other direction: every
``/api/v1`` route is described.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from werkzeug.wrappers import Response

from app.errors import InvalidInput
from app.forms import validate_submission
from app.web import openapi_operations, openapi_schemas, openapi_tasks
from app.web.openapi_operations import ERRORS
from app.web.openapi_schemas import Schema

OPERATIONS = {**openapi_operations.OPERATIONS, **openapi_tasks.OPERATIONS}
BODIES = {**openapi_schemas.BODIES, **openapi_tasks.BODIES}
SCHEMAS = {**openapi_schemas.SCHEMAS, **openapi_tasks.SCHEMAS}

PREFIX = "/api/v1"
bp = Blueprint("openapi", __name__, url_prefix=PREFIX)


def flask_path(rule: str) -> str:
    """``/api/v1/tasks/<int:task_id>`` → ``/tasks/{task_id}``."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.removeprefix(PREFIX))


def api_routes(app: Flask) -> set[tuple[str, str]]:
    """(method, path) of every ``/api/v1`` route the app serves."""
    return {
        (method.lower(), flask_path(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PREFIX + "/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def document(app: Flask) -> Schema:
    """The document, listing only the operations whose routes exist in ``app``."""
    served = api_routes(app)
    endpoints = [op["x-endpoint"] for op in OPERATIONS.values()]
    paths: dict[str, dict[str, Schema]] = {}
    for (method, path), operation in OPERATIONS.items():
        if (method, path) in served:
            op = copy.deepcopy(operation)
            op["operationId"] = op["x-endpoint"].replace(".", "_")
            if endpoints.count(op["x-endpoint"]) > 1:  # one view answers GET and PUT/POST
                op["operationId"] += f"_{method}"
            if method in ("post", "put"):  # a write may find the writer lock held (app/db.py)
                op["responses"]["503"] = BUSY
            paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "化解 huajie API",
            "version": "1",
            "description": "法院及其他系统推送消息、查询案件与任务的接口。"
            "令牌：huajie tokens create USERNAME；请求头 Authorization: Bearer <token>。",
        },
        "servers": [{"url": PREFIX}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": copy.deepcopy(SCHEMAS),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


BUSY = {
    "description": ERRORS[503],
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "秒"}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


@bp.get("/openapi.json")
def document_json() -> Response:
    return jsonify(document(current_app))


def _query_names() -> dict[str, frozenset[str]]:
    return {
        op["x-endpoint"]: frozenset(
            p["name"] for p in op.get("parameters", []) if p["in"] == "query"
        )
        for op in OPERATIONS.values()
    }


QUERY_NAMES = _query_names()


def check_query(endpoint: str, names: Iterable[str]) -> None:
    """A 400 for query parameters the endpoint does not define (a typo is not ignored)."""
    unknown = sorted(set(names) - QUERY_NAMES.get(endpoint, frozenset()))
    if unknown:
        raise InvalidInput(
            "包含未定义的查询参数：" + "、".join(unknown), {"": ["包含未定义的查询参数"]}
        )


def validate_body(endpoint: str, body: Any) -> dict[str, Any]:
    """The JSON body when it matches the endpoint's request schema; a 400 otherwise."""
    if not isinstance(body, dict):
        raise InvalidInput("请求体须为 JSON 对象")
    errors = validate_submission(BODIES[endpoint], body) if endpoint in BODIES else {}
    if errors:
        raise InvalidInput("请求内容有误", errors)
    return body
