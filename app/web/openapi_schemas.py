"""The JSON API's shared schemas: the response bodies (``SCHEMAS``) and the request bodies the
endpoints validate against (``BODIES``), with the small builders ``app.web.openapi_operations``
uses too."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def _nullable(kind: str) -> Schema:
    return {"type": [kind, "null"]}


def _obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object schema with the given required and optional properties."""
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
    }


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
TEXT = {"type": "string", "maxLength": 2000}
ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}  # what the database stores
DAYS = {"type": "integer", "minimum": 1, "maximum": 3650}  # services.calendar.MAX_PERIOD_DAYS
DATE_OR_EMPTY = {"type": "string", "anyOf": [{"format": "date"}, {"maxLength": 0}]}

TASK = _obj(
    {
        "id": INT, "name": STR, "bpmn_id": STR, "instance_id": INT,
        "case_id": _nullable("integer"), "unit": _nullable("string"), "status": STR,
        "created_at": STR, "due_at": _nullable("string"), "due_rule": _nullable("string"),
        "overdue": BOOL, "provisional": BOOL,
    }
)  # fmt: skip

SCHEMAS: dict[str, Schema] = {
    "Error": _obj(
        {"error": STR},
        {
            "errors": {
                "type": ["object", "null"],
                "additionalProperties": {"type": "array", "items": STR},
            }
        },
    ),
    "Task": TASK,
    "TaskDetail": {
        "allOf": [
            TASK,
            _obj({"form": _nullable("string"), "schema": _nullable("object"),
                  "readable": BOOL, "data": {}, "instructions": STR, "confirm": BOOL}),
        ]
    },
    "Instance": _obj(
        {
            "id": INT, "status": STR, "case_id": _nullable("integer"),
            "case_no": _nullable("string"), "started_at": STR, "ended_at": _nullable("string"),
            "definition": _obj({"process_id": STR, "version": INT, "name": STR, "sha256": STR}),
            "tasks": {"type": "array", "items": _obj(
                {"id": INT, "name": STR, "bpmn_id": STR, "unit": _nullable("string"),
                 "status": STR, "created_at": STR, "due_at": _nullable("string"),
                 "provisional": BOOL, "completed_at": _nullable("string"),
                 "completed_by": _nullable("string"), "readable": BOOL, "data": {}}
            )},
            "timers": {"type": "array", "items": _obj(
                {"id": INT, "name": STR, "bpmn_id": STR, "task_id": _nullable("integer"),
                 "due_at": STR, "provisional": BOOL, "status": STR,
                 "fired_at": _nullable("string"), "explanation": {}}
            )},
            "documents": {"type": "array", "items": _obj(
                {"id": INT, "kind": STR, "name": STR, "doc_no": _nullable("string"),
                 "sha256": STR}
            )},
        }
    ),
    "Case": _obj(
        {"id": INT, "case_no": STR, "plaintiff": STR, "agency_unit": STR, "subject": STR,
         "outcome": _nullable("string"), "archived": BOOL}
    ),
    "CaseTimeline": _obj(
        {
            "id": INT, "case_no": STR, "plaintiff": STR, "agency_unit": STR, "subject": STR,
            "court": STR, "outcome": _nullable("string"), "outcome_on": _nullable("string"),
            "defendants": {}, "losing_units": {}, "archived": BOOL,
            "instances": {"type": "array", "items": _obj(
                {"id": INT, "process_id": STR, "name": STR, "version": INT, "status": STR}
            )},
            "timeline": {"type": "array", "items": _obj(
                {"at": STR, "kind": STR, "title": STR, "instance_id": _nullable("integer")}
            )},
        }
    ),
    "Message": _obj(
        {
            "id": INT, "name": STR, "case_id": _nullable("integer"), "received_at": STR,
            "delivered_to": {"type": "array", "items": INT},
            "started": {"type": "array", "items": INT}, "duplicate": BOOL,
        }
    ),
    "Attachment": _obj({"id": INT, "name": STR, "size": INT, "sha256": STR}),
    "UnitRate": _obj(
        {"unit": STR, "name": STR, "lost": INT, "concluded": INT,
         "loss_rate": _nullable("number")}
    ),
    "CorrectionRate": _obj(
        {"unit": STR, "name": STR, "corrected": INT, "decided": INT,
         "correction_rate": _nullable("number")}
    ),
    "InstanceCreated": _obj({"instance_id": INT}),
    "ImportReport": _obj({
        "kind": STR, "filename": STR, "sha256": STR, "dry_run": BOOL,
        "ignored_columns": {"type": "array", "items": STR},
        "counts": {"type": "object", "additionalProperties": INT},
        "rows": {"type": "array", "items": _obj({
            "row": INT, "status": {"enum": ["ready", "skipped", "invalid", "recorded"]},
            "values": {"type": "object", "additionalProperties": STR},
            "problems": {"type": "object",
                         "additionalProperties": {"type": "array", "items": STR}},
        })},
    }),
    "AuditVerification": _obj(
        {"id": INT, "actor": STR, "scope": {"enum": ["new", "full", "deep"]}, "daily": BOOL,
         "started_at": STR, "finished_at": _nullable("string"), "ok": _nullable("boolean"),
         "events": INT, "checked": INT, "first_seq": _nullable("integer"),
         "last_seq": _nullable("integer"), "broken_event_id": _nullable("integer"),
         "problems": {"type": "array", "items": STR}}
    ),
    "AuditEvent": _obj(
        {"id": INT, "seq": INT, "at": STR, "actor": STR, "action": STR,
         "instance_id": _nullable("integer"), "case_id": _nullable("integer"),
         "detail": {"type": "object"}, "hash": STR}
    ),
}  # fmt: skip

# What each JSON-body endpoint accepts; the endpoints validate against these (validate_body).
BODIES: dict[str, Schema] = {
    "api.create_case": _obj(
        {"court_case_no": {"type": "string", "maxLength": 100},
         "plaintiff": {"type": "string", "maxLength": 200},
         "agency_unit": {"type": "string", "maxLength": 64}, "subject": TEXT},
        {"claims": _nullable("string") | {"maxLength": 2000},
         "court": _nullable("string") | {"maxLength": 200}, "received_on": DATE},
    ),
    "api.complete_task": _obj({"data": {"type": "object"}}),
    "api.start_process": _obj({}, {"data": {"type": ["object", "null"]}}),
    "api.retry_incident": _obj({}, {"data": {"type": ["object", "null"]}, "reason": TEXT}),
    "api.receive_message": _obj(
        {"name": STR, "idempotency_key": {"type": "string", "maxLength": 200}},
        {"case_no": TEXT, "correlation": {"type": "object"}, "payload": {"type": "object"}},
    ),
    "api.start_for_case": _obj({"process_id": STR}),
    "api.start_verification": _obj({}, {"full": BOOL}),
    "api.run_evaluation": _obj({}, {"from": DATE, "to": DATE}),
    "api.manage_deadline": _obj(
        {"action": {"enum": ["suspend", "resume", "extend"]}},
        {"reason": TEXT, "days": INT},
    ),
    "api.reassign_task": _obj({"username": STR}, {"reason": TEXT}),
    "api.record_service": _obj(
        {"served_on": DATE, "evidence": {"type": "string", "maxLength": 50},
         "files": {"type": "array", "items": INT, "minItems": 1, "maxItems": 20}},
    ),
    "api.record_reconsideration": _obj(
        {},  # every field is checked by the service, so a refusal names all problems at once
        {"decision_no": TEXT, "unit": STR, "applicant": TEXT, "subject": TEXT,
         "outcome": {"type": "string", "description": "维持、驳回、撤销、变更、确认违法、责令履行"},
         "decided_on": STR, "received_on": STR, "organ": TEXT},
    ),
    "api.bulk_tasks": _obj(
        {"action": {"enum": ["reassign", "remind"]},
         "task_ids": {"type": "array", "items": ID, "maxItems": 500}},
        {"username": STR, "reason": TEXT},
    ),
    "api.name_substitute": _obj(
        {"substitute": STR, "starts_on": DATE, "ends_on": DATE}, {"reason": TEXT}
    ),
}  # fmt: skip
