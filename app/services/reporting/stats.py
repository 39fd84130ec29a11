"""统计分析: loss rates, trend, correction rates, mediation success, deadline compliance and
loss reasons for a period, assembled for the dashboard, its export and the API.

Each statistic reads an aggregate kept with its facts (``aggregates``): the cases' parties
(``case_rates``) or the day and month counts (``counted``), never the history itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.config import INTERVIEW_MIN_CONCLUDED, LOSS_RATE_THRESHOLD
from app.services import district_settings
from app.services.actor import Actor
from app.services.reporting.case_rates import (
    CorrectionRate,
    UnitRate,
    correction_rates,
    loss_rates,
    trend,
)
from app.services.reporting.counted import deadline_compliance, loss_reasons, mediation_success
from app.services.reporting.periods import Period, quarter_label, quarters

__all__ = [
    "CorrectionRate",
    "Dashboard",
    "Period",
    "UnitRate",
    "correction_rates",
    "dashboard",
    "deadline_compliance",
    "interview_min_concluded",
    "loss_rate_threshold",
    "loss_rates",
    "loss_reasons",
    "mediation_success",
    "quarter_label",
    "quarters",
    "trend",
]


@dataclass
class Dashboard:
    period: Period
    rates: list[UnitRate]
    trend: list[dict[str, Any]]
    mediation: dict[str, Any]
    compliance: list[dict[str, Any]]
    reasons: list[dict[str, Any]]
    threshold: float = field(default=0.0)
    corrections: list[CorrectionRate] = field(default_factory=list)
    min_concluded: int = 0


def dashboard(session: Session, actor: Actor, period: Period) -> Dashboard:
    return Dashboard(
        period,
        loss_rates(session, actor, period),
        trend(session, actor, period),
        mediation_success(session, actor, period),
        deadline_compliance(session, actor, period),
        loss_reasons(session, actor, period),
        loss_rate_threshold(session),
        correction_rates(session, actor, period),
        interview_min_concluded(session),
    )


def loss_rate_threshold(session: Session) -> float:
    """本地规则: the text names no rate."""
    return district_settings.get(session, LOSS_RATE_THRESHOLD)


def interview_min_concluded(session: Session) -> int:
    """A unit with fewer concluded cases in the period is not called to a 约谈 on its rate."""
    return district_settings.get(session, INTERVIEW_MIN_CONCLUDED)
