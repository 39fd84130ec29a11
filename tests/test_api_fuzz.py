"""Fuzz the JSON API against its own OpenAPI document (in-process, WSGI), on SQLite and on
PostgreSQL (which refuses what SQLite stores: NUL in text, values past a column's length).

Every documented operation gets generated requests, valid and invalid ones, with a real token
(schemathesis); the checks are that no answer is a 500 and every answer's status code, content
type and body are the ones the document promises. Deterministic (derandomized) and bounded (few
examples). Generated strings are short and never hold a lone surrogate, so every field of every
operation is also sent a catalogue of hostile values: NUL, a lone surrogate, 100,000 characters,
a date in year 9999, JSON nested 40 and 100,000 levels deep; each must be refused (400/413)
naming the field, or accepted, and a refusal stores nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from app.models import Attachment, AuditEvent, Case, CourtMessage
from app.services.actor import SYSTEM
from app.services.identity import org
from tests.helpers import register

pytestmark = pytest.mark.both_databases

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# HUAJIE_FUZZ_EXAMPLES=200 for a deeper (slower) run
FUZZ = settings(
    max_examples=int(os.environ.get("HUAJIE_FUZZ_EXAMPLES", "12")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _fuzz(app, db, username: str, mode: GenerationMode) -> dict[str, str]:
    """Run every operation; the first failure of each, keyed by operation."""
    register(db)  # a case, an instance and an open task, so small ids lead somewhere
    with db.write() as session:
        token = org.create_token(session, SYSTEM, username)
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.update(headers=headers)  # known to the generator: it does not negate them
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            case.call_and_validate(checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # an operation without inputs to break
        except FailureGroup as exc:
            failures[operation.label] = str(exc)
    return failures


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_document_for_an_admin_token(app, db, mode):
    failures = _fuzz(app, db, "admin", mode)
    assert not failures, "\n\n".join(f"{op}: {text}" for op, text in failures.items())


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_document_for_a_court_token(app, db, mode):
    failures = _fuzz(app, db, "court", mode)
    assert not failures, "\n\n".join(f"{op}: {text}" for op, text in failures.items())


# (what, JSON text of the value or a marker, which fields it is sent to)
NUL, SURROGATE, LONG = "a\x00b", "张\ud800", "案" * 100_000
HOSTILE: list[tuple[str, Any, str]] = [
    ("a NUL character", NUL, "text"),
    ("a lone surrogate", SURROGATE, "text"),
    ("100,000 characters", LONG, "text"),
    ("a date in year 9999", "9999-12-31", "date"),
    ("JSON nested 40 levels", "[" * 40 + "]" * 40, "json"),
    ("JSON nested 100,000 levels", "[" * 100_000 + "]" * 100_000, "json"),
]
NAMED = {"a NUL character", "a lone surrogate", "JSON nested 40 levels"}  # refused by name


def _example(schema: dict[str, Any]) -> Any:
    """A small value the schema accepts (its required properties only)."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _example(props[name]) for name in schema.get("required", [])}
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if schema.get("format") == "date" or "anyOf" in schema:
        return "2026-09-30"
    return "x"


def _targets(kind: str, schema: dict[str, Any]) -> set[str]:
    """Which hostile values a field with this schema gets."""
    found = {"json"} if kind == "body" else set()
    text = "string" in (schema.get("type") or "string") and schema.get("format") != "binary"
    if text:
        found.add("text")
    if schema.get("format") == "date" or "anyOf" in schema:
        found.add("date")
    return found


def _fields(operation: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(where, name, schema) of every parameter and top-level body property."""
    for param in operation.get("parameters", []):
        if param["schema"].get("type") == "string":
            yield param["in"], param["name"], param["schema"]
    content = operation.get("requestBody", {}).get("content", {})
    for media, where in (("application/json", "body"), ("multipart/form-data", "form")):
        if media in content:
            for name, schema in content[media]["schema"].get("properties", {}).items():
                yield where, name, schema


def _stored(db) -> tuple[int, ...]:
    with db.read() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Case, CourtMessage, Attachment, AuditEvent)
        )


def _wire(value: Any) -> bytes:
    """A value as a client puts it on the wire: UTF-8, a lone surrogate as its three bytes
    (what a form post or a URL carries; not valid UTF-8)."""
    return str(value).encode("utf-8", "surrogatepass")


def _multipart(fields: dict[str, bytes], filename: bytes) -> tuple[bytes, str]:
    boundary = b"fuzzboundary"
    parts = [
        b'Content-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n' + value
        for name, value in fields.items()
    ]
    parts.append(
        b'Content-Disposition: form-data; name="file"; filename="' + filename
        + b'"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 x'
    )  # fmt: skip
    body = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts)
    return body + b"--" + boundary + b"--\r\n", f"multipart/form-data; boundary={boundary.decode()}"


def _request(path: str, op: dict[str, Any], where: str, name: str, value: str) -> dict:
    """The request for one operation with one field hostile (JSON text for a body field)."""
    params = op.get("parameters", [])
    path_values = {p["name"]: _wire(1 if p["schema"].get("type") == "integer" else "x")
                   for p in params if p["in"] == "path"}  # fmt: skip
    query = {p["name"]: _wire(_example(p["schema"]))
             for p in params if p["in"] == "query" and p["required"]}  # fmt: skip
    if where == "path":
        path_values[name] = _wire(value)
    elif where == "query":
        query[name] = _wire(value)
    request: dict[str, Any] = {
        "path": "/api/v1" + path.format(**{k: quote(v) for k, v in path_values.items()}),
        "query_string": "&".join(f"{k}={quote(v)}" for k, v in query.items()),
    }
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = _example(content["application/json"]["schema"])
        if where == "body":
            body[name] = "@hostile@"
        text = json.dumps(body)  # ASCII: a lone surrogate travels as its escape
        request["data"] = text.replace('"@hostile@"', value)
        request["content_type"] = "application/json"
    elif "multipart/form-data" in content:
        form = {name: _wire(value)} if where == "form" and name != "file" else {}
        filename = _wire(value) + b".pdf" if where == "form" and name == "file" else b"a.pdf"
        request["data"], request["content_type"] = _multipart(form, filename)
    return request


def test_every_field_refuses_hostile_values_by_name_and_stores_nothing(app, db):
    register(db)
    with db.write() as session:
        token = org.create_token(session, SYSTEM, "admin")
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").get_json()
    failures: list[str] = []
    tried = 0
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            for where, name, schema in _fields(op):
                for what, raw, kind in HOSTILE:
                    if kind not in _targets("body" if where == "body" else where, schema):
                        continue
                    value = raw if kind == "json" or where != "body" else json.dumps(raw)
                    request = _request(path, op, where, name, value)
                    before = _stored(db)
                    response = client.open(
                        method=method.upper(), headers={"Authorization": f"Bearer {token}"},
                        **request,
                    )  # fmt: skip
                    tried += 1
                    problem = _problem(response, op, name, what)
                    if not problem and response.status_code >= 400 and _stored(db) != before:
                        problem = "refused, yet something was stored"
                    if problem:
                        failures.append(
                            f"{method.upper()} {path} {where} {name}: {what}: {problem}"
                        )
    assert tried > 100
    assert not failures, "\n".join(failures)


def _problem(response: Any, op: dict[str, Any], name: str, what: str) -> str | None:
    status = response.status_code
    if status >= 500 or str(status) not in op["responses"]:
        return f"answered {status}, which the document does not promise"
    if status >= 400:
        body = response.get_json(silent=True)
        if not isinstance(body, dict) or "error" not in body:
            return f"answered {status} without a JSON error"
        if status == 400 and what in NAMED and name not in (body.get("errors") or {}):
            return f"400 without naming the field: {body}"
    return None
