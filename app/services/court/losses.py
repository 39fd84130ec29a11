"""What a loss offers the routing table, and what reversing it stops: mechanisms 7, 9 and 10.

Which processes a loss starts is the routing table's (``processes/routing.toml``): as shipped,
for each losing agency 审后督促履行 (``judgment_performance``; when the district government
lost, one in which the bureau names the unit that actually acted); once per case, 败诉案件复盘
整改 (``loss_review``) for every losing agency, each counting its review period from the day
*it* received the judgment; and the bureau's 主观过错认定 (``fault_determination``). A
reconsideration decision that corrects an agency's act (行政复议被纠错) starts the same review
and rectification. A later outcome that is no loss withdraws what the loss started (the
processes the table marks ``undone_when_loss_reversed``), with the reason.
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
from app.services.design import routing
from app.services.execution import instances
from app.services.execution.routes import Item


def receipt(
    on: date, at: datetime, what: str, source: str, not_before: date | None, by: str = ""
) -> StartEvent:
    """A unit's receipt of a judgment or decision: the day its review period counts from."""
    return StartEvent(
        on=on, what=what, source=source, at=at, by=by, receipt=True, not_before=not_before,
        kind="event",
    )  # fmt: skip


def loser_facts(losers: list[Unit], received: dict[str, StartEvent]) -> dict[str, Any]:
    """The losing units as facts for the routing table: the agencies that review (each with
    the day it received the judgment or decision), whether the government lost, their names."""
    agencies = [u.code for u in losers if u.kind == "agency"]
    return {
        "losers.agency_codes": agencies,
        "losers.received_by_unit": {c: e for c, e in received.items() if c in agencies},
        "losers.government_lost": any(u.kind == "government" for u in losers),
        "losers.names": "、".join(u.name for u in losers),
    }


def losing_unit(unit: Unit) -> Item:
    """One losing unit, for routes with ``each = "losing_unit"``."""
    government = unit.kind == "government"
    return Item(
        facts={
            "losing_unit.agency_name": "" if government else unit.name,
            "losing_unit.is_government": government,
        },
        units={"losing_unit": unit, "losing_agency": None if government else unit},
    )


def withdraw(session: Session, actor: Actor | str, case: Case, reason: str) -> list[int]:
    """A later outcome that is no loss: the running processes the loss started are cancelled,
    each with the reason; their history stays."""
    running = session.scalars(
        select(ProcessInstance.id)
        .where(
            ProcessInstance.case_id == case.id,
            ProcessInstance.process_id.in_(routing.current().loss_processes()),
            ProcessInstance.status == InstanceStatus.RUNNING,
        )
        .order_by(ProcessInstance.id)
    ).all()
    return [i for i in running if instances.cancel_instance(session, actor, i, reason)]
