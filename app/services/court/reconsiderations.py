"""行政复议决定 (reconsideration decisions about an agency's act), recorded by the bureau.

《十项机制》第九条 makes the loss review cover cases corrected in reconsideration (复议被纠错或者
败诉原因；避免再次发生同类行政复议被纠错或者行政诉讼败诉案件). A decision is recorded as a case of
kind ``reconsideration``: one that corrects the act (撤销, 变更, 确认违法, 责令履行) starts the same
review and rectification as a lost judgment, its period counting from the day the unit received
the decision (entered by the bureau, which is not timed by it: not in the future, not before
the decision). Every decision counts in the statistics: corrected ÷ decided is the unit's
复议纠错率, beside its loss rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.clocks import ENTERED, StartEvent
from app.config import RECONSIDERATION_ORGAN
from app.errors import Conflict, InvalidInput
from app.models import Case, Unit
from app.models.case import RECONSIDERATION
from app.services import district_settings
from app.services.actor import Actor
from app.services.court import court_facts, losses
from app.services.execution import routes
from app.services.identity import org
from app.services.identity.permissions import Action, require
from app.services.records import archive_store, audit
from app.services.uow import unit_of_work

OUTCOMES = ["维持", "驳回", "撤销", "变更", "确认违法", "责令履行"]
CORRECTED = frozenset({"撤销", "变更", "确认违法", "责令履行"})
FIELDS = {
    "decision_no": "复议决定书文号",
    "unit": "被申请人（作出原行政行为的单位）",
    "applicant": "申请人",
    "subject": "复议事项",
    "outcome": "复议决定",
    "decided_on": "决定日期",
    "received_on": "被申请人收到决定书日期",
    "organ": "复议机关",
}
RECEIVED_DECISION = "收到纠错的行政复议决定书"


@dataclass
class Recorded:
    case: Case
    started: list[int]  # the loss review a correcting decision started


@unit_of_work
def record(session: Session, actor: Actor, payload: Any) -> Recorded:
    """Record one decision; a correcting one starts mechanism 9 for the unit."""
    require(actor.role, Action.RECORD_RECONSIDERATION)
    if not isinstance(payload, dict):
        raise InvalidInput("请求体须为 JSON 对象")
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(payload) - set(FIELDS))
    if unknown:
        errors[""] = [f"包含未定义的字段：{', '.join(unknown)}"]
    decision_no = court_facts.text(payload, "decision_no", errors)
    applicant = court_facts.text(payload, "applicant", errors)
    subject = court_facts.text(payload, "subject", errors)
    organ = court_facts.text(payload, "organ", errors, required=False) or district_settings.get(
        session, RECONSIDERATION_ORGAN
    )
    outcome = court_facts.text(payload, "outcome", errors)
    if outcome and outcome not in OUTCOMES:
        errors["outcome"] = [f"未知的复议决定（可选：{'、'.join(OUTCOMES)}）"]
    unit = _unit(session, payload.get("unit"), errors)
    decided_on = court_facts.day(payload, "decided_on", errors, past=True)
    received_on = court_facts.day(
        payload, "received_on", errors, past=True,
        not_before=date.fromisoformat(decided_on) if decided_on else None,
    )  # fmt: skip
    if errors:
        raise InvalidInput("行政复议决定填写有误", errors)
    assert unit is not None
    if session.scalar(select(Case.id).where(Case.case_no == decision_no)) is not None:
        raise Conflict(f"该文号已登记：{decision_no}")
    archive_store.refuse_archived_case_no(session, decision_no)
    corrected = outcome in CORRECTED
    case = Case(
        kind=RECONSIDERATION, case_no=decision_no, plaintiff=applicant, agency_unit_id=unit.id,
        subject=subject, claims="", court=organ, received_on=received_on,
        created_at=clock.now(), created_by=actor.username, outcome=outcome,
        outcome_on=decided_on, judgment=dict(payload), defendants=[unit.code],
        losing_units=[unit.code] if corrected else [],
    )  # fmt: skip
    session.add(case)
    session.flush()
    audit.covers(session, case)
    losers: list[Unit] = []
    received: dict[str, StartEvent] = {}
    if corrected:
        losers = [unit]
        received[unit.code] = losses.receipt(
            date.fromisoformat(received_on), clock.local_now(), RECEIVED_DECISION, ENTERED,
            date.fromisoformat(decided_on), by=org.who(session, actor),
        )  # fmt: skip
    occasion = routes.for_case(
        "reconsideration_decision", case,
        {"message.outcome": outcome, **losses.loser_facts(losers, received)},
        {"corrected": corrected},
    )  # fmt: skip
    started = [i.id for i in routes.start(session, actor, occasion)]
    audit.record(
        session, actor, "case.register", case_id=case.id, case_no=case.case_no,
        kind=RECONSIDERATION, outcome=outcome, unit=unit.code, received_on=received_on,
        started=started,
    )  # fmt: skip
    return Recorded(case, started)


def _unit(session: Session, code: Any, errors: dict[str, list[str]]) -> Unit | None:
    if not isinstance(code, str) or not code:
        errors["unit"] = ["此项为必填项"]
        return None
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None or unit.kind != "agency":
        errors["unit"] = ["须为镇街或部门的单位代码"]
        return None
    return unit
