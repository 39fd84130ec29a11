"""Mechanism 10's periodic evaluation: units above the loss-rate threshold are interviewed.

Runs quarterly from the scheduler (the quarter just ended) and on demand; one
``loss_rate_interview`` per unit and period, however often it runs (what an evaluation starts,
with which data, is the routing table's ``loss_rate_evaluation`` route). Which unit was called for
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
from app.services.design import definitions, routing
from app.services.execution import routes
from app.services.identity.permissions import Action, require
from app.services.records import audit
from app.services.reporting import stats
from app.services.uow import unit_of_work

TRIGGER = "loss_rate_evaluation"  # what it starts is the routing table's: 败诉率约谈


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
    label = label_of(period)
    interviews = dict.fromkeys(r.start for r in routing.current().routes_on(TRIGGER))
    deployed = [p for p in interviews if definitions.latest_definition(session, p, False)]
    started: list[int] = []
    above = []
    for row in rates:
        unit = session.scalar(select(Unit).where(Unit.code == row.unit_code))
        if unit is None or unit.kind != "agency" or row.rate is None or row.rate <= threshold:
            continue
        above.append(unit.code)
        if row.concluded < minimum:  # a rate over too few cases: not a 约谈 on the rate alone
            continue
        if not deployed or _already(session, unit, label):
            continue
        facts = {
            "evaluation.unit_name": unit.name, "evaluation.unit_code": unit.code,
            "evaluation.period": label, "evaluation.lost_cases": row.lost,
            "evaluation.concluded_cases": row.concluded, "evaluation.loss_rate": _pct(row.rate),
            "evaluation.threshold": _pct(threshold),
        }  # fmt: skip
        occasion = routes.Occasion(TRIGGER, facts, units={"evaluated_unit": unit})
        interview = [i.id for i in routes.start(session, actor, occasion)]
        if interview:
            session.add(Setting(key=_key(unit, label), value=interview[0], updated_at=clock.now()))
        started += interview
    audit.record(
        session, actor, "evaluation.run", period=label, threshold=threshold,
        rates=[r.as_dict() for r in rates], started=started, min_concluded=minimum,
    )  # fmt: skip
    return Evaluation(period, label, rates, threshold, above, started, not deployed)


def label_of(period: stats.Period) -> str:
    """How an evaluation names its period: 2026年第3季度, or the dates of another period."""
    return stats.quarter_label(period) if stats.quarters(period) == [period] else period.label()


def interviewed(session: Session, period: stats.Period) -> list[str]:
    """The codes of the units the evaluation called to 约谈 for the period."""
    prefix = f"interview:{label_of(period)}:"
    keys = session.scalars(select(Setting.key).where(Setting.key.startswith(prefix)))
    return sorted(key.removeprefix(prefix) for key in keys)


def _key(unit: Unit, label: str) -> str:
    return f"interview:{label}:{unit.code}"


def _already(session: Session, unit: Unit, label: str) -> bool:
    return session.get(Setting, _key(unit, label)) is not None
