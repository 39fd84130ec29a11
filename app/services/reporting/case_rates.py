"""败诉率, 复议纠错率 and the quarterly trend, read from the counts of concluded cases'
defendants kept with the cases (``aggregates``): the cost grows with the period's length.

败诉率 for a unit and period = lost cases / concluded cases (judgments and rulings that closed
the case, withdrawals included), by the date the outcome took effect; always shown with its
numerator and denominator. What counts as lost is the setting ``lost_outcomes``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import LOST_OUTCOMES
from app.models import Unit
from app.models.case import LITIGATION, RECONSIDERATION
from app.services import district_settings
from app.services.actor import Actor
from app.services.reporting.aggregates import ALL_UNITS, BY_OUTCOME, LOST
from app.services.reporting.counted import counted
from app.services.reporting.periods import Period, quarter_label, quarters
from app.services.reporting.queries import sees_everything


@dataclass
class UnitRate:
    unit_code: str
    unit_name: str
    lost: int
    concluded: int

    @property
    def rate(self) -> float | None:
        return self.lost / self.concluded if self.concluded else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit_code,
            "name": self.unit_name,
            "lost": self.lost,
            "concluded": self.concluded,
            "loss_rate": round(self.rate, 4) if self.rate is not None else None,
        }


@dataclass
class CorrectionRate:
    """复议纠错率: reconsideration decisions that corrected the unit ÷ all decided."""

    unit_code: str
    unit_name: str
    corrected: int
    decided: int

    @property
    def rate(self) -> float | None:
        return self.corrected / self.decided if self.decided else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit_code,
            "name": self.unit_name,
            "corrected": self.corrected,
            "decided": self.decided,
            "correction_rate": round(self.rate, 4) if self.rate is not None else None,
        }


class _Counted:
    """Concluded and lost defendants of one kind of case in one period, as the actor may see
    them: every unit's, or its own unit's."""

    def __init__(self, session: Session, actor: Actor, kind: str, period: Period) -> None:
        self.session, self.kind, self.period = session, kind, period
        outcomes = district_settings.get(session, LOST_OUTCOMES)
        self.lost_outcomes = set(outcomes)
        self.everything = sees_everything(actor)
        self.unit_id = actor.unit_id

    def _lost(self, key: str) -> bool:
        state, outcome = key.split(":", 1)
        return state == LOST or (state == BY_OUTCOME and outcome in self.lost_outcomes)

    def by(self, by_month: bool) -> tuple[Counter[Any], Counter[Any]]:
        """(concluded, lost) per unit id, or per month (YYYY-MM) of all that is seen."""
        if not self.everything and self.unit_id is None:
            return Counter(), Counter()
        unit = self.unit_id if not self.everything else (ALL_UNITS if by_month else None)
        concluded: Counter[Any] = Counter()
        lost: Counter[Any] = Counter()
        for group, keys in counted(self.session, self.kind, self.period, unit, by_month).items():
            for key, n in keys.items():
                concluded[group] += n
                if self._lost(key):
                    lost[group] += n
        return +concluded, lost


def _units(session: Session) -> dict[int, tuple[str, str]]:
    rows = session.execute(select(Unit.id, Unit.code, Unit.name))
    return {id_: (code, name) for id_, code, name in rows}


def loss_rates(session: Session, actor: Actor, period: Period) -> list[UnitRate]:
    concluded, lost = _Counted(session, actor, LITIGATION, period).by(by_month=False)
    units = _units(session)
    rows = [UnitRate(*units[i], lost[i], n) for i, n in concluded.items() if i in units]
    return sorted(rows, key=lambda r: (-(r.rate or 0), r.unit_code))


def correction_rates(session: Session, actor: Actor, period: Period) -> list[CorrectionRate]:
    """Per unit, by the date each reconsideration decision was made (mechanism 9 counts the
    cases it corrected beside the lost lawsuits)."""
    decided, corrected = _Counted(session, actor, RECONSIDERATION, period).by(by_month=False)
    units = _units(session)
    rows = [CorrectionRate(*units[i], corrected[i], n) for i, n in decided.items() if i in units]
    return sorted(rows, key=lambda r: (-(r.rate or 0), r.unit_code))


def trend(session: Session, actor: Actor, period: Period) -> list[dict[str, Any]]:
    concluded, lost = _Counted(session, actor, LITIGATION, period).by(by_month=True)
    result = []
    for q in quarters(period):
        months = {f"{q.start.year}-{m:02d}" for m in range(q.start.month, q.end.month + 1)}
        q_lost = sum(lost[m] for m in months)
        q_concluded = sum(concluded[m] for m in months)
        result.append({
            "quarter": quarter_label(q), "lost": q_lost, "concluded": q_concluded,
            "loss_rate": round(q_lost / q_concluded, 4) if q_concluded else None,
        })  # fmt: skip
    return result
