"""败诉率, 复议纠错率 and the quarterly trend, read from ``case_parties`` (one row per defendant
of a concluded case, kept with the case): the cost grows with the period's cases.

败诉率 for a unit and period = lost cases / concluded cases (judgments and rulings that closed
the case, withdrawals included), by the date the outcome took effect; always shown with its
numerator and denominator. What counts as lost is the setting ``lost_outcomes``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.config import LOST_OUTCOMES
from app.models import CaseParty, Unit
from app.models.case import LITIGATION, RECONSIDERATION
from app.services import district_settings
from app.services.actor import Actor
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
    """Concluded and lost parties per group, for one kind of case in one period."""

    def __init__(self, session: Session, actor: Actor, kind: str, period: Period) -> None:
        self.session, self.actor, self.kind, self.period = session, actor, kind, period
        outcomes = district_settings.get(session, LOST_OUTCOMES)
        self.lost_outcomes = set(outcomes)

    def _query(self, *group: Any) -> Select[Any] | None:
        query = (
            select(*group, CaseParty.outcome, CaseParty.lost, func.count())
            .where(
                CaseParty.kind == self.kind,
                CaseParty.outcome_on >= self.period.start.isoformat(),
                CaseParty.outcome_on <= self.period.end.isoformat(),
            )
            .group_by(*group, CaseParty.outcome, CaseParty.lost)
        )
        if sees_everything(self.actor):
            return query
        own = self.session.get(Unit, self.actor.unit_id) if self.actor.unit_id else None
        return None if own is None else query.where(CaseParty.unit_code == own.code)

    def by(self, group: Any) -> tuple[Counter[str], Counter[str]]:
        """(concluded, lost) per value of ``group``."""
        concluded: Counter[str] = Counter()
        lost: Counter[str] = Counter()
        query = self._query(group)
        for value, outcome, was_lost, n in self.session.execute(query) if query is not None else []:
            concluded[value] += n
            if was_lost or (was_lost is None and outcome in self.lost_outcomes):
                lost[value] += n
        return concluded, lost


def _names(session: Session) -> dict[str, str]:
    return {code: name for code, name in session.execute(select(Unit.code, Unit.name))}


def loss_rates(session: Session, actor: Actor, period: Period) -> list[UnitRate]:
    concluded, lost = _Counted(session, actor, LITIGATION, period).by(CaseParty.unit_code)
    names = _names(session)
    rows = [UnitRate(code, names.get(code, code), lost[code], n) for code, n in concluded.items()]
    return sorted(rows, key=lambda r: (-(r.rate or 0), r.unit_code))


def correction_rates(session: Session, actor: Actor, period: Period) -> list[CorrectionRate]:
    """Per unit, by the date each reconsideration decision was made (mechanism 9 counts the
    cases it corrected beside the lost lawsuits)."""
    counted = _Counted(session, actor, RECONSIDERATION, period)
    decided, corrected = counted.by(CaseParty.unit_code)
    names = _names(session)
    rows = [
        CorrectionRate(code, names.get(code, code), corrected[code], n)
        for code, n in decided.items()
    ]
    return sorted(rows, key=lambda r: (-(r.rate or 0), r.unit_code))


def trend(session: Session, actor: Actor, period: Period) -> list[dict[str, Any]]:
    month = func.substr(CaseParty.outcome_on, 1, 7)
    concluded, lost = _Counted(session, actor, LITIGATION, period).by(month)
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
