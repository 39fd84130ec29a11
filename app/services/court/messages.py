"""Court events (法院消息) as BPMN messages, correlated by the court case number.

Only the court's token sends them. A message goes to every running instance of the case that
waits for it; what it starts (as shipped: its mechanism, when nothing waited for it) is the
routing table's (``processes/routing.toml``). A repeated idempotency key
has no second effect. The facts a message carries (the day the center received a pre-filing
notice, the day each defendant was served the judgment) start the deadlines they name, so each
is checked: a known unit, a real date, not in the future, not before the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import case_numbers, clock, jsontext
from app.errors import InvalidInput, PayloadTooLarge
from app.models import Case, CourtMessage, Unit
from app.services.actor import Actor
from app.services.court import court_facts, judgments
from app.services.identity.permissions import Action, require
from app.services.records import archive_store, audit
from app.services.uow import unit_of_work

NAMES = {
    "pre_filing_notice": "预立案信息通报",
    "loss_warning_letter": "败诉预警函",
    "judgment": "裁判结果",
    "case_closed_without_judgment": "未经裁判结案",
}
MAX_PAYLOAD_BYTES = 64 * 1024


@dataclass
class Received:
    message: CourtMessage
    duplicate: bool


# -- intake -------------------------------------------------------------------------------------
@unit_of_work
def receive(session: Session, actor: Actor, body: Any) -> Received:
    """A message the court sends (its token)."""
    require(actor.role, Action.SEND_COURT_MESSAGE)
    return _receive(session, actor, body)


@unit_of_work
def receive_from_list(session: Session, actor: Actor, body: Any, source: str) -> Received:
    """A row of a court's list that the center imports (``court_lists``), recorded exactly as
    the court's own message would be; ``source`` names the file (its sha256) as the evidence."""
    require(actor.role, Action.IMPORT_COURT_LISTS)
    received = _receive(session, actor, body)
    if not received.duplicate:
        audit.record(
            session, actor, "message.import", case_id=received.message.case_id,
            name=received.message.name, source=source,
        )  # fmt: skip
    return received


def _receive(session: Session, actor: Actor, body: Any) -> Received:
    if not isinstance(body, dict):
        raise InvalidInput("请求体须为 JSON 对象")
    errors: dict[str, list[str]] = {}
    name = body.get("name")
    if not isinstance(name, str) or name not in NAMES:
        errors["name"] = [f"未知的消息类型（可选：{', '.join(NAMES)}）"]
        name = ""
    case_no = case_numbers.normalize(court_facts.text(body, "case_no", errors))
    key = court_facts.text(body, "idempotency_key", errors)
    payload = body.get("payload", {})
    if not isinstance(payload, dict):
        errors["payload"] = ["应为对象"]
        payload = {}
    elif len(jsontext.dumps(payload).encode()) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(
            f"消息内容过大（上限 {MAX_PAYLOAD_BYTES // 1024} KiB）",
            {"payload": [f"不超过 {MAX_PAYLOAD_BYTES // 1024} KiB"]},
        )
    if errors:
        raise InvalidInput("消息格式有误", errors)
    existing = session.scalar(select(CourtMessage).where(CourtMessage.idempotency_key == key))
    if existing is not None:
        if existing.name != name or existing.case_id != court_facts.case_id(session, case_no):
            raise InvalidInput("幂等键已用于另一条消息", {"idempotency_key": ["已被使用"]})
        return Received(existing, duplicate=True)
    handler = HANDLERS[name]
    message = handler(session, actor, case_no, payload, key)
    audit.record(
        session, actor, "message.receive", case_id=message.case_id, name=name,
        idempotency_key=key, delivered_to=message.delivered_to, started=message.started,
    )  # fmt: skip
    return Received(message, duplicate=False)


# -- the handlers -------------------------------------------------------------------------------
def _pre_filing_notice(
    session: Session, actor: Actor, case_no: str, payload: dict, key: str
) -> CourtMessage:
    errors: dict[str, list[str]] = {}
    case = session.scalar(select(Case).where(Case.case_no == case_no))
    since = court_facts.case_started_on(case) if case is not None else None
    received_on = court_facts.day(
        payload, "received_on", errors, required=False, past=True, not_before=since
    )
    if case is None:  # a new case: the notice carries what the case needs
        archive_store.refuse_archived_case_no(session, case_no)
        fields = {
            n: court_facts.text(payload, n, errors)
            for n in ("plaintiff", "agency_unit", "subject", "court")
        }
        claims = court_facts.text(payload, "claims", errors, required=False)
        agency = None
        if fields["agency_unit"] and "agency_unit" not in errors:
            agency = session.scalar(select(Unit).where(Unit.code == fields["agency_unit"]))
            if agency is None or agency.kind != "agency":
                errors["agency_unit"] = ["须为镇街或部门的单位代码"]
        if errors:
            raise InvalidInput("预立案信息通报内容有误", errors)
        assert agency is not None
        case = Case(
            case_no=case_no, plaintiff=fields["plaintiff"], agency_unit_id=agency.id,
            subject=fields["subject"], claims=claims, court=fields["court"],
            received_on=received_on or clock.local_now().date().isoformat(),
            created_at=clock.now(), created_by=actor.username,
        )  # fmt: skip
        session.add(case)
        session.flush()
        audit.record(session, actor, "case.register", case_id=case.id, case_no=case_no)
        audit.covers(session, case)
    elif errors:
        raise InvalidInput("预立案信息通报内容有误", errors)
    message = court_facts.record(session, actor, "pre_filing_notice", case, payload, key)
    what = "收到管辖法院预立案信息通报"
    received = court_facts.received_event(received_on, what, message, case)
    court_facts.deliver_or_start(
        session, actor, message, case,
        {"event.notice_received_on": received.on.isoformat(), "event.notice_received": received},
    )  # fmt: skip
    return message


def _loss_warning_letter(
    session: Session, actor: Actor, case_no: str, payload: dict, key: str
) -> CourtMessage:
    case = court_facts.find_case(session, case_no)
    errors: dict[str, list[str]] = {}
    letter_no = court_facts.text(payload, "letter_no", errors)
    reason = court_facts.text(payload, "reason", errors)
    served_on = court_facts.day(
        payload,
        "served_on",
        errors,
        required=False,
        past=True,
        not_before=court_facts.case_started_on(case),
    )
    if errors:
        raise InvalidInput("败诉预警函内容有误", errors)
    message = court_facts.record(session, actor, "loss_warning_letter", case, payload, key)
    what = "收到《败诉预警函》"
    served = court_facts.received_event(served_on, what, message, case)
    court_facts.deliver_or_start(
        session, actor, message, case,
        {"message.letter_no": letter_no, "message.reason": reason, "event.warning_served": served},
    )  # fmt: skip
    return message


def _case_closed(
    session: Session, actor: Actor, case_no: str, payload: dict, key: str
) -> CourtMessage:
    case = court_facts.find_case(session, case_no)
    errors: dict[str, list[str]] = {}
    outcome = court_facts.text(payload, "outcome", errors, required=False) or "撤诉"
    if outcome not in judgments.OUTCOMES:
        errors["outcome"] = [f"未知的结案方式（可选：{'、'.join(judgments.OUTCOMES)}）"]
    closed_on = court_facts.day(payload, "closed_on", errors, required=False)
    if errors:
        raise InvalidInput("结案消息内容有误", errors)
    message = court_facts.record(session, actor, "case_closed_without_judgment", case, payload, key)
    judgments.reverse_if_no_longer_lost(session, actor, case, outcome, message)
    case.outcome = outcome
    case.outcome_on = closed_on or clock.local_now().date().isoformat()
    audit.covers(session, case)
    court_facts.deliver_or_start(session, actor, message, case, {"message.outcome": outcome})
    return message


HANDLERS = {
    "pre_filing_notice": _pre_filing_notice,
    "loss_warning_letter": _loss_warning_letter,
    "judgment": judgments.receive,
    "case_closed_without_judgment": _case_closed,
}


def message_json(message: CourtMessage, duplicate: bool = False) -> dict[str, Any]:
    return {
        "id": message.id,
        "name": message.name,
        "case_id": message.case_id,
        "received_at": message.received_at.isoformat(),
        "delivered_to": message.delivered_to,
        "started": message.started,
        "duplicate": duplicate,
    }
