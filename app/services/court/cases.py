"""Cases (案件): registering a court-referred dispute starts mechanism 4 (as the routing
table, ``processes/routing.toml``, routes ``case_registered``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import case_numbers, clock, inputs
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.models import Case, ProcessInstance, Unit
from app.services.actor import Actor
from app.services.design import routing
from app.services.execution import routes
from app.services.identity.permissions import Action, may, require
from app.services.records import archive_store, audit
from app.services.uow import unit_of_work

CASE_FIELDS = {
    "court_case_no": "法院案号",
    "plaintiff": "行政相对人（原告）",
    "agency_unit": "案涉行政机关",
    "subject": "争议事项",
    "claims": "诉讼请求",
    "court": "管辖法院",
}
REQUIRED = ("court_case_no", "plaintiff", "agency_unit", "subject", "court")
# what each field's column holds (Case.case_no, .plaintiff, .court; subject and claims: text)
MAX_LENGTHS = {"court_case_no": 100, "plaintiff": 200, "agency_unit": 64, "court": 200}


@dataclass
class Registered:
    case: Case
    instance: ProcessInstance


def check(session: Session, payload: dict[str, Any]) -> tuple[dict[str, str], Unit]:
    """The case's fields and its agency, or every problem at once (``InvalidInput``); changes
    nothing. Shared by registering one case and importing a court's list of them."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for name in CASE_FIELDS:
        value = payload.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[name] = ["应为文本"]
            continue
        problem = inputs.text_problem(value)  # before the case number sheds invisible characters
        cleaned[name] = case_numbers.normalize(value) if name == "court_case_no" else value.strip()
        problem = problem or inputs.text_problem(cleaned[name], MAX_LENGTHS.get(name, 2000))
        if name in REQUIRED and not cleaned[name]:
            errors[name] = ["此项为必填项"]
        elif problem:
            errors[name] = [problem]
    unknown = sorted(set(payload) - set(CASE_FIELDS) - {"received_on"})
    if unknown:
        errors[""] = [f"包含未定义的字段：{', '.join(unknown)}"]
    received = payload.get("received_on")
    if received:
        try:
            cleaned["received_on"] = inputs.parse_day(received).isoformat()
        except inputs.DateInputError as exc:
            errors["received_on"] = [str(exc)]
    agency = None
    if cleaned.get("agency_unit"):
        agency = session.scalar(select(Unit).where(Unit.code == cleaned["agency_unit"]))
        if agency is None:
            errors["agency_unit"] = [f"单位不存在：{cleaned['agency_unit']}"]
        elif agency.kind != "agency":
            errors["agency_unit"] = ["案涉行政机关须为镇街或部门"]
    if errors or agency is None:
        raise InvalidInput("案件信息填写有误", errors)
    return cleaned, agency


@unit_of_work
def register(session: Session, actor: Actor, payload: dict[str, Any]) -> Registered:
    """Register a court-referred pre-litigation case and start its mediation process."""
    require(actor.role, Action.REGISTER_CASE)
    fields, agency = check(session, payload)
    if session.scalar(select(Case).where(Case.case_no == fields["court_case_no"])):
        raise Conflict(f"案号已登记：{fields['court_case_no']}")
    archive_store.refuse_archived_case_no(session, fields["court_case_no"])
    received_on = fields.get("received_on") or clock.local_now().date().isoformat()
    case = Case(
        case_no=fields["court_case_no"],
        plaintiff=fields["plaintiff"],
        agency_unit_id=agency.id,
        subject=fields["subject"],
        claims=fields["claims"],
        court=fields["court"],
        received_on=received_on,
        created_at=clock.now(),
        created_by=actor.username,
    )
    session.add(case)
    session.flush()
    audit.record(session, actor, "case.register", case_id=case.id, case_no=case.case_no)
    audit.covers(session, case)
    occasion = routes.for_case("case_registered", case)
    [instance] = routes.start(session, actor, occasion, required=True)
    return Registered(case, instance)


def get(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("案件不存在")
    return case


@unit_of_work
def start_for_case(
    session: Session, actor: Actor, case_id: int, process_id: str
) -> ProcessInstance:
    """Start a case-bound mechanism by hand (e.g. 审中指导化解 once the court takes the case)."""
    case = get(session, case_id)
    route = routing.current().hand_start(process_id)
    if route is None:
        raise InvalidInput(f"该流程不能为案件手动发起：{process_id}")
    own_case = actor.unit_id == case.agency_unit_id or actor.unit_kind == "center"
    if not may(actor.role, Action.START_FOR_CASE) or not own_case:
        raise Forbidden("无权为该案件发起此流程")
    occasion = routes.for_case("case_page", case)
    [instance] = routes.start_route(session, actor, route, occasion, required=True)
    return instance
