"""Court events (法院消息) as BPMN messages, correlated by the court case number.

A message goes to every running instance of the case that waits for it; when none does, it
starts the mechanism it belongs to. A repeated idempotency key has no second effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import Case, CourtMessage, ProcessInstance, Unit
from app.services import audit, definitions, org, runtime, units
from app.services.actor import Actor
from app.services.errors import Forbidden, InvalidInput, NotFound

NAMES = {
    "pre_filing_notice": "预立案信息通报",
    "loss_warning_letter": "败诉预警函",
    "judgment": "裁判结果",
    "case_closed_without_judgment": "未经裁判结案",
}
OUTCOMES = ["胜诉", "败诉", "部分败诉", "撤诉", "驳回起诉", "不予立案"]
NOT_FILED_OR_DISMISSED = {"驳回起诉", "不予立案"}
RESOLUTION_PROCESSES = {"pre_litigation_mediation", "in_trial_resolution", "pre_filing_notice"}
SENDER_ROLES = {"court", "center", "admin"}


@dataclass
class Received:
    message: CourtMessage
    duplicate: bool


def _text(payload: dict[str, Any], name: str, errors: dict, required: bool = True) -> str:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            errors[name] = ["此项为必填项"]
        return ""
    if not isinstance(value, str) or len(value) > 2000:
        errors[name] = ["应为不超过 2000 字的文本"]
        return ""
    return value.strip()


def _date(payload: dict[str, Any], name: str, errors: dict, required: bool = True) -> str:
    value = payload.get(name)
    if value in (None, ""):
        if required:
            errors[name] = ["此项为必填项"]
        return ""
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        errors[name] = ["请输入有效日期（YYYY-MM-DD）"]
        return ""


def _units(session: Session, payload: dict[str, Any], name: str, errors: dict) -> list[str]:
    value = payload.get(name)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        errors[name] = ["应为单位代码列表"]
        return []
    known = set(session.scalars(select(Unit.code).where(Unit.code.in_(value))))
    unknown = [v for v in value if v not in known]
    if unknown:
        errors[name] = [f"未知的单位代码：{', '.join(unknown)}"]
    return list(dict.fromkeys(value))


def _case_data(case: Case) -> dict[str, Any]:
    return {
        "court_case_no": case.case_no,
        "plaintiff": case.plaintiff,
        "agency_name": case.agency.name,
        "subject": case.subject,
        "claims": case.claims,
        "court": case.court,
    }


def _start(
    session: Session, actor: Actor, process_id: str, case: Case, agency: Unit, extra: dict
) -> int | None:
    definition = definitions.latest_definition(session, process_id, required=False)
    if definition is None:
        return None
    center = org.unit_of_kind(session, "center")
    data = {
        **_case_data(case),
        "agency_name": agency.name,
        **extra,
        "lane_owners": {"区调处中心": center.code, "案涉行政机关": agency.code},
    }
    instance = runtime.start(session, actor, definition, data, case_id=case.id, unit_id=agency.id)
    return instance.id


def _deliver(session: Session, case: Case, name: str, payload: dict[str, Any]) -> list[int]:
    running = session.scalars(
        select(ProcessInstance)
        .where(ProcessInstance.case_id == case.id, ProcessInstance.status == "running")
        .order_by(ProcessInstance.id)
    )
    return [i.id for i in running if runtime.deliver_message(session, i, name, payload)]


def _deliver_or_start(
    session: Session,
    actor: Actor,
    message: CourtMessage,
    case: Case,
    process_id: str,
    extra: dict[str, Any],
) -> None:
    """Deliver to the case's waiting instances; when none waits, start the mechanism."""
    message.delivered_to = _deliver(session, case, message.name, message.payload)
    if not message.delivered_to:
        started = _start(session, actor, process_id, case, case.agency, extra)
        message.started = [started] if started else []


def receive(session: Session, actor: Actor, body: Any) -> Received:
    if actor.role not in SENDER_ROLES:
        raise Forbidden("无权发送法院消息")
    if not isinstance(body, dict):
        raise InvalidInput("请求体须为 JSON 对象")
    errors: dict[str, list[str]] = {}
    name = body.get("name")
    if name not in NAMES:
        errors["name"] = [f"未知的消息类型（可选：{', '.join(NAMES)}）"]
    case_no = _text(body, "case_no", errors)
    key = _text(body, "idempotency_key", errors)
    payload = body.get("payload", {})
    if not isinstance(payload, dict):
        errors["payload"] = ["应为对象"]
        payload = {}
    if errors:
        raise InvalidInput("消息格式有误", errors)
    existing = session.scalar(select(CourtMessage).where(CourtMessage.idempotency_key == key))
    if existing is not None:
        if existing.name != name or existing.case_id != _case_id(session, case_no):
            raise InvalidInput("幂等键已用于另一条消息", {"idempotency_key": ["已被使用"]})
        return Received(existing, duplicate=True)
    handler = HANDLERS[name]
    message = handler(session, actor, case_no, payload, key)
    audit.record(
        session, actor, "message.receive", case_id=message.case_id, name=name,
        idempotency_key=key, delivered_to=message.delivered_to, started=message.started,
    )  # fmt: skip
    return Received(message, duplicate=False)


def _case_id(session: Session, case_no: str) -> int | None:
    return session.scalar(select(Case.id).where(Case.case_no == case_no))


def _find_case(session: Session, case_no: str) -> Case:
    case = session.scalar(select(Case).where(Case.case_no == case_no))
    if case is None:
        raise NotFound(f"案号不存在：{case_no}")
    return case


def _record(
    session: Session, actor: Actor, name: str, case: Case, payload: dict, key: str
) -> CourtMessage:
    message = CourtMessage(
        idempotency_key=key, name=name, case_id=case.id, payload=payload,
        received_at=clock.now(), sender=actor.username, delivered_to=[], started=[],
    )  # fmt: skip
    session.add(message)
    session.flush()
    return message


def _pre_filing_notice(
    session: Session, actor: Actor, case_no: str, payload: dict, key: str
) -> CourtMessage:
    errors: dict[str, list[str]] = {}
    received_on = _date(payload, "received_on", errors, required=False)
    case = session.scalar(select(Case).where(Case.case_no == case_no))
    if case is None:  # a new case: the notice carries what the case needs
        fields = {
            n: _text(payload, n, errors) for n in ("plaintiff", "agency_unit", "subject", "court")
        }
        claims = _text(payload, "claims", errors, required=False)
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
    elif errors:
        raise InvalidInput("预立案信息通报内容有误", errors)
    message = _record(session, actor, "pre_filing_notice", case, payload, key)
    notice_on = received_on or clock.local_now().date().isoformat()
    _deliver_or_start(
        session, actor, message, case, "pre_filing_notice", {"notice_received_on": notice_on}
    )
    return message


def _loss_warning_letter(
    session: Session, actor: Actor, case_no: str, payload: dict, key: str
) -> CourtMessage:
    case = _find_case(session, case_no)
    errors: dict[str, list[str]] = {}
    letter_no = _text(payload, "letter_no", errors)
    reason = _text(payload, "reason", errors)
    if errors:
        raise InvalidInput("败诉预警函内容有误", errors)
    message = _record(session, actor, "loss_warning_letter", case, payload, key)
    _deliver_or_start(
        session, actor, message, case, "in_trial_resolution",
        {"loss_warning_received": True, "warning_letter_no": letter_no, "warning_reason": reason},
    )  # fmt: skip
    return message


def _judgment(
    session: Session, actor: Actor, case_no: str, payload: dict, key: str
) -> CourtMessage:
    case = _find_case(session, case_no)
    errors: dict[str, list[str]] = {}
    outcome = _text(payload, "outcome", errors)
    if outcome and outcome not in OUTCOMES:
        errors["outcome"] = [f"未知的裁判结果（可选：{'、'.join(OUTCOMES)}）"]
    effective_on = _date(payload, "effective_on", errors)
    lost = set(units.setting(session, "lost_outcomes", units.DEFAULT_LOST_OUTCOMES))  # type: ignore[arg-type]
    performance_deadline = _date(payload, "performance_deadline", errors, required=outcome in lost)
    defendants = _units(session, payload, "defendants", errors)
    losing = payload.get("losing_units")
    if losing is None:
        losing_units = defendants if outcome in lost else []
    else:
        losing_units = _units(session, payload, "losing_units", errors) if losing else []
        if set(losing_units) - set(defendants):
            errors["losing_units"] = ["败诉单位须为被告之一"]
    orders_new_act = payload.get("orders_new_act", False)
    if not isinstance(orders_new_act, bool):
        errors["orders_new_act"] = ["应为 true 或 false"]
    if errors:
        raise InvalidInput("裁判结果内容有误", errors)
    case.outcome, case.outcome_on = outcome, effective_on
    case.judgment = payload
    case.defendants, case.losing_units = defendants, losing_units
    message = _record(session, actor, "judgment", case, payload, key)
    message.delivered_to = _deliver(session, case, "judgment", payload)
    started: list[int] = []
    if outcome in lost and performance_deadline:
        for code in losing_units:
            unit = org.unit_by_code(session, code)
            if unit.kind != "agency":
                continue  # the district government's performance is carried by its agency
            instance_id = _start(
                session, actor, "judgment_performance", case, unit,
                {"judgment_outcome": outcome, "effective_on": effective_on,
                 "performance_deadline": performance_deadline, "orders_new_act": orders_new_act},
            )  # fmt: skip
            if instance_id:
                started.append(instance_id)
    elif outcome in NOT_FILED_OR_DISMISSED and _earlier_resolution_failed(session, case):
        instance_id = _start(
            session, actor, "post_judgment_explanation", case, case.agency,
            {"judgment_outcome": outcome, "effective_on": effective_on},
        )  # fmt: skip
        if instance_id:
            started.append(instance_id)
    if losing_units:
        started += _start_loss_follow_up(session, actor, case, outcome, losing_units)
    message.started = started
    return message


def _start_loss_follow_up(
    session: Session, actor: Actor, case: Case, outcome: str, losing_units: list[str]
) -> list[int]:
    """Mechanisms 9 and 10: one review per lost case (every losing unit reviews), and the
    bureau's determination of subjective fault."""
    losers = [org.unit_by_code(session, code) for code in losing_units]
    review_units = [u.code for u in losers if u.kind == "agency"]
    government_lost = any(u.kind == "government" for u in losers)
    bureau = org.unit_of_kind(session, "bureau")
    government = org.unit_of_kind(session, "government")
    common = {
        **_case_data(case),
        "judgment_outcome": outcome,
    }
    started = []
    review = definitions.latest_definition(session, "loss_review", required=False)
    if review is not None:
        data = {
            **common,
            "judgment_received_on": clock.local_now().date().isoformat(),
            "review_units": review_units,
            "government_lost": government_lost,
            "lane_owners": {"区司法局": bureau.code, "区政府": government.code},
        }
        started.append(
            runtime.start(session, actor, review, data, case_id=case.id, unit_id=bureau.id).id
        )
    fault = definitions.latest_definition(session, "fault_determination", required=False)
    if fault is not None:
        discipline = session.scalar(select(Unit).where(Unit.kind == "discipline"))
        data = {
            **common,
            "losing_unit_names": "、".join(u.name for u in losers),
            "lane_owners": {"区司法局": bureau.code}
            | ({"纪检监察机关": discipline.code} if discipline else {}),
        }
        started.append(
            runtime.start(session, actor, fault, data, case_id=case.id, unit_id=bureau.id).id
        )
    return started


def _earlier_resolution_failed(session: Session, case: Case) -> bool:
    """经前期化解未能解决: the case went through a resolution process before the ruling."""
    return (
        session.scalar(
            select(ProcessInstance.id)
            .where(
                ProcessInstance.case_id == case.id,
                ProcessInstance.process_id.in_(RESOLUTION_PROCESSES),
            )
            .limit(1)
        )
        is not None
    )


def _case_closed(
    session: Session, actor: Actor, case_no: str, payload: dict, key: str
) -> CourtMessage:
    case = _find_case(session, case_no)
    errors: dict[str, list[str]] = {}
    outcome = _text(payload, "outcome", errors, required=False) or "撤诉"
    if outcome not in OUTCOMES:
        errors["outcome"] = [f"未知的结案方式（可选：{'、'.join(OUTCOMES)}）"]
    closed_on = _date(payload, "closed_on", errors, required=False)
    if errors:
        raise InvalidInput("结案消息内容有误", errors)
    case.outcome = outcome
    case.outcome_on = closed_on or clock.local_now().date().isoformat()
    message = _record(session, actor, "case_closed_without_judgment", case, payload, key)
    message.delivered_to = _deliver(session, case, "case_closed_without_judgment", payload)
    return message


HANDLERS = {
    "pre_filing_notice": _pre_filing_notice,
    "loss_warning_letter": _loss_warning_letter,
    "judgment": _judgment,
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
