"""裁判结果 (the court's judgment message): its facts on the case, the facts and conditions it
offers the routing table (which decides what it starts), what a reversal stops.

A case has one judgment. A second one for the same case is refused unless it says it corrects
the first (``correction: true`` with a ``correction_reason``): then the case's facts are
replaced and the change audited, nothing is started twice, and an outcome that is no longer a
loss withdraws what the loss started. Each defendant's receipt of the judgment (``served_on``,
unit code → date) starts that unit's review period; a unit without one counts from the
message's arrival.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clocks import StartEvent
from app.config import LOST_OUTCOMES
from app.errors import Conflict, InvalidInput
from app.models import Case, CourtMessage, ProcessInstance, Unit
from app.services import district_settings
from app.services.actor import Actor
from app.services.court import court_facts, losses
from app.services.design import routing
from app.services.execution import routes
from app.services.records import audit

OUTCOMES = ["胜诉", "败诉", "部分败诉", "撤诉", "驳回起诉", "不予立案"]
NOT_FILED_OR_DISMISSED = {"驳回起诉", "不予立案"}
RECEIVED_JUDGMENT = "收到败诉裁判文书"


def lost_outcomes(session: Session) -> set[str]:
    outcomes = district_settings.get(session, LOST_OUTCOMES)
    return set(outcomes)


@dataclass
class Checked:
    """A judgment message's facts, checked against its case and changing nothing."""

    case: Case
    outcome: str
    effective_on: str
    performance_deadline: str
    defendants: list[Unit]
    losers: list[Unit]
    served: dict[str, str]
    orders_new_act: bool
    correction: bool
    reason: str


def check(session: Session, case_no: str, payload: dict) -> Checked:
    """The message's facts, or every problem at once (``InvalidInput``); ``NotFound`` for an
    unknown case, ``Conflict`` for a second judgment that does not say it corrects the first.
    Shared by the court's message and the center's import of a judgment list."""
    case = court_facts.find_case(session, case_no)
    since = court_facts.case_started_on(case)
    errors: dict[str, list[str]] = {}
    outcome = court_facts.text(payload, "outcome", errors)
    if outcome and outcome not in OUTCOMES:
        errors["outcome"] = [f"未知的裁判结果（可选：{'、'.join(OUTCOMES)}）"]
    effective_on = court_facts.day(payload, "effective_on", errors, past=True)
    lost = lost_outcomes(session)
    performance_deadline = court_facts.day(
        payload, "performance_deadline", errors, required=outcome in lost
    )
    defendants = court_facts.units(session, payload, "defendants", errors)
    losers = _losers(session, payload, outcome in lost, defendants, errors)
    served = _served_on(payload.get("served_on"), defendants, since, errors)
    orders_new_act = payload.get("orders_new_act", False)
    if not isinstance(orders_new_act, bool):
        errors["orders_new_act"] = ["应为 true 或 false"]
    correction = payload.get("correction", False)
    if not isinstance(correction, bool):
        errors["correction"] = ["应为 true 或 false"]
    reason = court_facts.text(payload, "correction_reason", errors, required=correction is True)
    if correction is True and case.judgment is None:
        errors["correction"] = ["本案尚无裁判结果，无可更正"]
    if errors:
        raise InvalidInput("裁判结果内容有误", errors)
    if case.judgment is not None and not correction:
        raise Conflict(
            f"案件 {case.case_no} 已有裁判结果（{case.outcome}）：如需更正，请在 payload 中注明 "
            "correction: true 和 correction_reason"
        )
    return Checked(
        case, outcome, effective_on, performance_deadline, defendants, losers, served,
        orders_new_act is True, correction is True, reason,
    )  # fmt: skip


def receive(session: Session, actor: Actor, case_no: str, payload: dict, key: str) -> CourtMessage:
    j = check(session, case_no, payload)
    case, losers = j.case, j.losers
    lost = lost_outcomes(session)
    was_lost = bool(case.losing_units) or case.outcome in lost
    before = _facts(case)
    case.outcome, case.outcome_on, case.judgment = j.outcome, j.effective_on, payload
    case.defendants = [u.code for u in j.defendants]
    case.losing_units = [u.code for u in losers]
    audit.covers(session, case)
    message = court_facts.record(session, actor, "judgment", case, payload, key)
    message.delivered_to = court_facts.deliver(session, case, "judgment", payload)
    if j.correction:
        audit.record(
            session, actor, "case.judgment_correct", case_id=case.id, reason=j.reason,
            before=before, after=_facts(case), message=key,
        )  # fmt: skip
        if was_lost and not losers:
            withdraw(session, actor, case, f"裁判结果更正为“{j.outcome}”（{j.reason}）")
        if was_lost or not losers:  # what the loss started runs once
            message.started = []
            return message
    received = {
        u.code: court_facts.received_event(
            j.served.get(u.code), RECEIVED_JUDGMENT, message, case, receipt=True
        )
        for u in losers
    }
    due = (
        StartEvent(
            on=date.fromisoformat(j.performance_deadline), what="判决履行期限届满", source="court"
        )
        if j.performance_deadline
        else None
    )
    facts = {
        "message.outcome": j.outcome, "message.effective_on": j.effective_on,
        "message.performance_deadline": j.performance_deadline,
        "message.orders_new_act": j.orders_new_act, "event.performance_due": due,
        **losses.loser_facts(losers, received),
    }  # fmt: skip
    conditions: dict[str, routes.Condition] = {
        "lost": j.outcome in lost and bool(j.performance_deadline),
        "not_filed_or_dismissed": j.outcome in NOT_FILED_OR_DISMISSED,
        "earlier_resolution_failed": lambda: _earlier_resolution_failed(session, case),
        "has_losers": bool(losers),
    }
    each = {"losing_unit": [losses.losing_unit(u) for u in losers]}
    occasion = routes.for_case("judgment", case, facts, conditions, each)
    message.started = [i.id for i in routes.start(session, actor, occasion)]
    return message


def reverse_if_no_longer_lost(
    session: Session, actor: Actor, case: Case, outcome: str, message: CourtMessage
) -> None:
    """A later outcome (a case closed without judgment) that is no loss: withdraw what the
    earlier loss started."""
    was_lost = bool(case.losing_units) or case.outcome in lost_outcomes(session)
    if was_lost and outcome not in lost_outcomes(session):
        case.losing_units = []
        audit.covers(session, case)
        withdraw(session, actor, case, f"案件以“{outcome}”结案（消息 {message.idempotency_key}）")


def withdraw(session: Session, actor: Actor, case: Case, reason: str) -> list[int]:
    cancelled = losses.withdraw(session, actor, case, reason)
    audit.record(
        session, actor, "case.loss_reversed", case_id=case.id, reason=reason, cancelled=cancelled
    )
    return cancelled


def _losers(
    session: Session, payload: dict, lost: bool, defendants: list[Unit], errors: dict
) -> list[Unit]:
    if "losing_units" not in payload or payload.get("losing_units") is None:
        return list(defendants) if lost else []
    if not payload["losing_units"]:
        return []
    losers = court_facts.units(session, payload, "losing_units", errors)
    codes = {u.code for u in defendants}
    if any(u.code not in codes for u in losers):
        errors["losing_units"] = ["败诉单位须为被告之一"]
        return []
    return losers


def _served_on(
    value: Any, defendants: list[Unit], since: date, errors: dict[str, list[str]]
) -> dict[str, str]:
    """``served_on``: defendant unit code → the day it received the judgment."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > court_facts.MAX_UNITS:
        errors["served_on"] = ["应为对象：被告单位代码 → 收到裁判文书的日期（YYYY-MM-DD）"]
        return {}
    codes = {u.code for u in defendants}
    found: dict[str, str] = {}
    problems: list[str] = []
    for code in value:
        if code not in codes:
            problems.append(f"{code} 不是本案被告")
            continue
        one: dict[str, list[str]] = {}
        on = court_facts.day(value, code, one, past=True, not_before=since)
        problems.extend(f"{code}：{m}" for m in one.get(code, []))
        if on:
            found[code] = on
    if problems:
        errors["served_on"] = problems
    return found


def _facts(case: Case) -> dict[str, Any]:
    return {
        "outcome": case.outcome, "outcome_on": case.outcome_on,
        "defendants": case.defendants, "losing_units": case.losing_units,
    }  # fmt: skip


def _earlier_resolution_failed(session: Session, case: Case) -> bool:
    """经前期化解未能解决: the case went through a resolution process before the ruling (the
    routing table marks those ``resolution``)."""
    return (
        session.scalar(
            select(ProcessInstance.id)
            .where(
                ProcessInstance.case_id == case.id,
                ProcessInstance.process_id.in_(routing.current().resolution_processes()),
            )
            .limit(1)
        )
        is not None
    )
