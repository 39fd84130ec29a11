"""What a loss starts, and what reversing it stops: mechanisms 7, 9 and 10.

A lost judgment starts, for each losing agency, 审后督促履行 (``judgment_performance``; when
the district government lost, one in which the bureau names the unit that actually acted);
once per case, 败诉案件复盘整改 (``loss_review``) for every losing unit, each counting its review
period from the day *it* received the judgment; and the bureau's 主观过错认定
(``fault_determination``). A reconsideration decision that corrects an agency's act (行政复议被
纠错) starts the same review and rectification. A later outcome that is no loss withdraws what
the loss started, with the reason.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clocks import StartEvent
from app.models import Case, ProcessInstance, Unit
from app.models.states import InstanceStatus
from app.services.actor import Actor
from app.services.design import definitions
from app.services.execution import instances
from app.services.identity import org

PERFORMANCE_PROCESS = "judgment_performance"
REVIEW_PROCESS = "loss_review"
FAULT_PROCESS = "fault_determination"
LOSS_PROCESSES = (PERFORMANCE_PROCESS, REVIEW_PROCESS, FAULT_PROCESS)


def case_data(case: Case) -> dict[str, Any]:
    return {
        "court_case_no": case.case_no,
        "plaintiff": case.plaintiff,
        "agency_name": case.agency.name,
        "subject": case.subject,
        "claims": case.claims,
        "court": case.court,
        "case_kind": case.kind,
    }


def receipt(
    on: date, at: datetime, what: str, source: str, not_before: date | None, by: str = ""
) -> StartEvent:
    """A unit's receipt of a judgment or decision: the day its review period counts from."""
    return StartEvent(
        on=on, what=what, source=source, at=at, by=by, receipt=True, not_before=not_before,
        kind="event",
    )  # fmt: skip


def start_performance(
    session: Session,
    actor: Actor,
    case: Case,
    losers: list[Unit],
    facts: dict[str, Any],
    performance_due: StartEvent,
) -> list[int]:
    """审后督促履行: one instance per losing agency; one for the district government, in which
    the bureau first names the unit that performs."""
    definition = definitions.latest_definition(session, PERFORMANCE_PROCESS, required=False)
    if definition is None:
        return []
    center = org.unit_of_kind(session, "center")
    bureau = org.unit_of_kind(session, "bureau")
    started = []
    for unit in losers:
        if unit.kind not in ("agency", "government"):
            continue
        government = unit.kind == "government"
        owners = {"区调处中心": center.code, "区司法局": bureau.code}
        if not government:
            owners["案涉行政机关"] = unit.code
        data = {
            **case_data(case),
            "agency_name": "" if government else unit.name,
            **facts,
            "performance_due": performance_due.to_dict(),
            "government_lost": government,
            "lane_owners": owners,
        }
        instance = instances.start(
            session, actor, definition, data, case_id=case.id, unit_id=unit.id
        )
        started.append(instance.id)
    return started


def start_review(
    session: Session,
    actor: Actor,
    case: Case,
    outcome: str,
    losers: list[Unit],
    received: dict[str, StartEvent],
) -> list[int]:
    """败诉案件复盘整改: one instance per case; every losing agency reviews in parallel, its
    period counting from its own receipt (``received``, by unit code)."""
    definition = definitions.latest_definition(session, REVIEW_PROCESS, required=False)
    if definition is None:
        return []
    bureau = org.unit_of_kind(session, "bureau")
    government = org.unit_of_kind(session, "government")
    review_units = [u.code for u in losers if u.kind == "agency"]
    data = {
        **case_data(case),
        "judgment_outcome": outcome,
        "review_units": review_units,
        "judgment_received_by_unit": {
            code: event.to_dict() for code, event in received.items() if code in review_units
        },
        "government_lost": any(u.kind == "government" for u in losers),
        "lane_owners": {"区司法局": bureau.code, "区政府": government.code},
    }
    instance = instances.start(session, actor, definition, data, case_id=case.id, unit_id=bureau.id)
    return [instance.id]


def start_fault_determination(
    session: Session, actor: Actor, case: Case, outcome: str, losers: list[Unit]
) -> list[int]:
    """主观过错认定 by the bureau (mechanism 10), once per lost case."""
    definition = definitions.latest_definition(session, FAULT_PROCESS, required=False)
    if definition is None:
        return []
    bureau = org.unit_of_kind(session, "bureau")
    discipline = session.scalar(select(Unit).where(Unit.kind == "discipline"))
    data = {
        **case_data(case),
        "judgment_outcome": outcome,
        "losing_unit_names": "、".join(u.name for u in losers),
        "lane_owners": {"区司法局": bureau.code}
        | ({"纪检监察机关": discipline.code} if discipline else {}),
    }
    instance = instances.start(session, actor, definition, data, case_id=case.id, unit_id=bureau.id)
    return [instance.id]


def withdraw(session: Session, actor: Actor | str, case: Case, reason: str) -> list[int]:
    """A later outcome that is no loss: the running processes the loss started are cancelled,
    each with the reason; their history stays."""
    running = session.scalars(
        select(ProcessInstance.id)
        .where(
            ProcessInstance.case_id == case.id,
            ProcessInstance.process_id.in_(LOSS_PROCESSES),
            ProcessInstance.status == InstanceStatus.RUNNING,
        )
        .order_by(ProcessInstance.id)
    ).all()
    return [i for i in running if instances.cancel_instance(session, actor, i, reason)]
