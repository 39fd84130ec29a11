"""JSON API, the audit log: what the 审计日志 page shows (the last recorded verification and a
page of events, keyset-paged within indexed filters) and starting a verification of what is new.
Same blueprint, token check and permission table as ``app.web.api``."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from werkzeug.wrappers import Response

from app.errors import Conflict
from app.models import AuditEvent, AuditVerification
from app.models.states import VerificationScope
from app.services.records import audit_listing, verifications
from app.web.api import _actor, _body, _reading, bp, token_required
from app.web.context import db
from app.web.guard import record_ids
from app.web.instances import verifier


def verification_json(row: AuditVerification | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "id": row.id, "actor": row.actor, "scope": row.scope, "daily": row.daily,
        "started_at": row.started_at.isoformat(),
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "ok": row.ok, "events": row.events, "checked": row.checked,
        "first_seq": row.first_seq, "last_seq": row.last_seq,
        "broken_event_id": row.broken_event_id, "problems": row.problems,
    }  # fmt: skip


def _event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id, "seq": event.seq, "at": event.at.isoformat(), "actor": event.actor,
        "action": event.action, "instance_id": event.instance_id, "case_id": event.case_id,
        "detail": event.detail, "hash": event.hash,
    }  # fmt: skip


@bp.get("/audit/events")
@token_required
def audit_events() -> Response:
    """?action=&actor=&instance_id=&case_id=&from=&to=&before=: newest first, 50 a page."""
    flt = audit_listing.AuditFilter.parse(request.args)
    raw_before = request.args.get("before")
    before = record_ids([raw_before], "before")[0] if raw_before else None
    with _reading() as session:
        state = verifications.state(session, db().anchor)
        page = audit_listing.page(session, flt, before)
        result = {
            "events_in_chain": state.events,
            "verification": verification_json(state.last),
            "verification_trusted": state.trusted,
            "running": verification_json(state.running),
            "events": [_event_json(e) for e in page.events],
            "next_before": page.next_before,
        }
    return jsonify(result)


@bp.post("/audit/verifications")
@token_required
def start_verification() -> tuple[Response, int]:
    """Verify the events added since the last verified checkpoint (or ``{"full": true}``), in
    the background; the answer names the recorded verification to look for."""
    body = _body()
    scope = VerificationScope.FULL if body.get("full") else VerificationScope.NEW
    actor = _actor()
    verification_id = verifications.begin(db(), actor, scope, exclusive_of_others=True)
    if verification_id is None:
        raise Conflict("上一次校验尚未完成，请稍后再试")
    verifier().start(actor.username, verification_id, scope)
    return jsonify({"id": verification_id, "scope": scope.value}), 202
