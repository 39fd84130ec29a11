"""Mechanism 10's periodic evaluation: units above the loss-rate threshold are interviewed.

Runs quarterly from the scheduler (the quarter just ended) and on demand; one
``loss_rate_interview`` per unit and period, however often it runs. Which unit was called for
which period is kept in the ``settings`` table under ``interview:<period>:<unit code>`` (the
instance's id): a record of what happened, not a setting, so not among ``DISTRICT_SETTINGS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.models import Setting, Unit
from app.services.actor import Actor
from app.services.design import definitions
from app.services.execution import instances
from app.services.identity import org
from app.services.identity.permissions import Action, require
from app.services.records import audit
from app.services.reporting import stats
from app.services.uow import unit_of_work

INTERVIEW_PROCESS = "loss_rate_interview"


@dataclass
class Evaluation:
    period: stats.Period
    label: str
    rates: list[stats.UnitRate]
    threshold: float
    above: list[str]  # units above the threshold
    started: list[int]  # interview instance ids (none for units already interviewed)
    missing_process: bool = False


def last_quarter(today: date | None = None) -> stats.Period:
    today = today or clock.local_now().date()
    first_of_this = date(today.year, ((today.month - 1) // 3) * 3 + 1, 1)
    end = first_of_this - timedelta(days=1)
    return stats.Period(date(end.year, ((end.month - 1) // 3) * 3 + 1, 1), end)


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


@unit_of_work
def evaluate(session: Session, actor: Actor, period: stats.Period) -> Evaluation:
    require(actor.role, Action.EVALUATE)
    everyone = Actor(actor.username, "system")
    rates = stats.loss_rates(session, everyone, period)
    threshold = stats.loss_rate_threshold(session)
    minimum = stats.interview_min_concluded(session)
    label = stats.quarter_label(period) if stats.quarters(period) == [period] else period.label()
    definition = definitions.latest_definition(session, INTERVIEW_PROCESS, required=False)
    government = org.unit_of_kind(session, "government")
    started = []
    above = []
    for row in rates:
        unit = session.scalar(select(Unit).where(Unit.code == row.unit_code))
        if unit is None or unit.kind != "agency" or row.rate is None or row.rate <= threshold:
            continue
        above.append(unit.code)
        if row.concluded < minimum:  # a rate over too few cases: not a 约谈 on the rate alone
            continue
        if definition is None or _already(session, unit, label):
            continue
        data = {
            "unit_name": unit.name, "unit_code": unit.code, "period": label,
            "lost_cases": row.lost, "concluded_cases": row.concluded,
            "loss_rate": _pct(row.rate), "threshold": _pct(threshold),
            "lane_owners": {"区政府": government.code, "案涉行政机关": unit.code},
        }  # fmt: skip
        instance = instances.start(session, actor, definition, data, unit_id=unit.id)
        session.add(Setting(key=_key(unit, label), value=instance.id, updated_at=clock.now()))
        started.append(instance.id)
    audit.record(
        session, actor, "evaluation.run", period=label, threshold=threshold,
        rates=[r.as_dict() for r in rates], started=started, min_concluded=minimum,
    )  # fmt: skip
    return Evaluation(period, label, rates, threshold, above, started, definition is None)


def _key(unit: Unit, label: str) -> str:
    return f"interview:{label}:{unit.code}"


def _already(session: Session, unit: Unit, label: str) -> bool:
    return session.get(Setting, _key(unit, label)) is not None
