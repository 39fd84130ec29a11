"""统计分析: loss rates, trends, mediation success, deadline compliance, loss reasons.

败诉率 for a unit and period = lost cases / concluded cases (judgments and rulings that closed
the case, withdrawals included), by the date the outcome took effect; always shown with its
numerator and denominator. What counts as lost is the setting ``lost_outcomes``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, inputs
from app.config import INTERVIEW_MIN_CONCLUDED, LOSS_RATE_THRESHOLD, LOST_OUTCOMES
from app.errors import InvalidInput
from app.models import Case, ProcessInstance, TaskRecord, Unit
from app.models.case import LITIGATION, RECONSIDERATION
from app.models.states import DeadlineState, InstanceStatus, TaskStatus
from app.services import district_settings
from app.services.actor import Actor
from app.services.reporting import queries
from app.services.reporting.queries import sees_everything


@dataclass
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def parse(cls, raw_from: str | None, raw_to: str | None) -> Period:
        today = clock.local_now().date()
        errors: dict[str, list[str]] = {}
        days = {"from": date(today.year, 1, 1), "to": today}
        for name, raw in (("from", raw_from), ("to", raw_to)):
            try:
                days[name] = inputs.parse_day(raw) if raw else days[name]
            except inputs.DateInputError as exc:
                errors[name] = [str(exc)]
        if errors:
            raise InvalidInput("统计期间有误", errors)
        start, end = days["from"], days["to"]
        if end < start:
            raise InvalidInput("结束日期不能早于开始日期", {"to": ["结束日期不能早于开始日期"]})
        return cls(start, end)

    def label(self) -> str:
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"


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


def _lost_outcomes(session: Session) -> set[str]:
    outcomes = district_settings.get(session, LOST_OUTCOMES)
    return set(outcomes)


def _concluded_cases(session: Session, period: Period, kind: str = LITIGATION) -> list[Case]:
    return list(
        session.scalars(
            select(Case).where(
                Case.kind == kind,
                Case.outcome.is_not(None),
                Case.outcome_on >= period.start.isoformat(),
                Case.outcome_on <= period.end.isoformat(),
            )
        )
    )


def _parties(case: Case, lost_outcomes: set[str]) -> tuple[set[str], set[str]]:
    """(units that were defendants, units that lost) of one concluded case."""
    defendants = set(case.defendants or [case.agency.code])
    if case.losing_units is not None:
        losers = set(case.losing_units)
    else:
        losers = {case.agency.code} if case.outcome in lost_outcomes else set()
    return defendants, losers


def loss_rates(session: Session, actor: Actor, period: Period) -> list[UnitRate]:
    lost_outcomes = _lost_outcomes(session)
    concluded: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    for case in _concluded_cases(session, period):
        defendants, losers = _parties(case, lost_outcomes)
        concluded.update(defendants)
        lost.update(losers & defendants)
    names = {u.code: u for u in session.scalars(select(Unit))}
    rows = [
        UnitRate(code, names[code].name if code in names else code, lost[code], count)
        for code, count in concluded.items()
    ]
    if not sees_everything(actor):
        own = session.get(Unit, actor.unit_id) if actor.unit_id else None
        rows = [r for r in rows if own is not None and r.unit_code == own.code]
    return sorted(rows, key=lambda r: (-(r.rate or 0), r.unit_code))


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


def correction_rates(session: Session, actor: Actor, period: Period) -> list[CorrectionRate]:
    """Per unit, by the date each reconsideration decision was made (mechanism 9 counts the
    cases it corrected beside the lost lawsuits)."""
    decided: Counter[str] = Counter()
    corrected: Counter[str] = Counter()
    for case in _concluded_cases(session, period, RECONSIDERATION):
        units_ = set(case.defendants or [case.agency.code])
        decided.update(units_)
        corrected.update(set(case.losing_units or []) & units_)
    names = {u.code: u for u in session.scalars(select(Unit))}
    rows = [
        CorrectionRate(code, names[code].name if code in names else code, corrected[code], n)
        for code, n in decided.items()
    ]
    if not sees_everything(actor):
        own = session.get(Unit, actor.unit_id) if actor.unit_id else None
        rows = [r for r in rows if own is not None and r.unit_code == own.code]
    return sorted(rows, key=lambda r: (-(r.rate or 0), r.unit_code))


def quarters(period: Period) -> list[Period]:
    found = []
    year, quarter = period.start.year, (period.start.month - 1) // 3
    while True:
        start = date(year, quarter * 3 + 1, 1)
        if start > period.end:
            break
        next_start = date(year + (quarter == 3), ((quarter + 1) % 4) * 3 + 1, 1)
        found.append(
            Period(max(start, period.start), min(next_start - timedelta(days=1), period.end))
        )
        year, quarter = (year + 1, 0) if quarter == 3 else (year, quarter + 1)
    return found


def quarter_label(p: Period) -> str:
    return f"{p.start.year}年第{(p.start.month - 1) // 3 + 1}季度"


def trend(session: Session, actor: Actor, period: Period) -> list[dict[str, Any]]:
    result = []
    for q in quarters(period):
        rows = loss_rates(session, actor, q)
        lost = sum(r.lost for r in rows)
        concluded = sum(r.concluded for r in rows)
        result.append({
            "quarter": quarter_label(q), "lost": lost, "concluded": concluded,
            "loss_rate": round(lost / concluded, 4) if concluded else None,
        })  # fmt: skip
    return result


def _in_period(moment: datetime | None, period: Period) -> bool:
    if moment is None:
        return False
    day = clock.to_local(moment).date()
    return period.start <= day <= period.end


def mediation_success(session: Session, actor: Actor, period: Period) -> dict[str, Any]:
    """Mechanism 4: instances that ended in the period, by outcome."""
    rows = session.execute(
        select(ProcessInstance, TaskRecord.data)
        .join(TaskRecord, TaskRecord.instance_id == ProcessInstance.id)
        .where(
            ProcessInstance.process_id == "pre_litigation_mediation",
            ProcessInstance.status == InstanceStatus.COMPLETED,
            TaskRecord.bpmn_id == "record_outcome",
            TaskRecord.status == TaskStatus.COMPLETED,
        )
    )
    counts: Counter[str] = Counter()
    for instance, data in rows:
        if not _in_period(instance.ended_at, period):
            continue
        if not sees_everything(actor) and instance.unit_id != actor.unit_id:
            continue
        counts[(data or {}).get("outcome", "")] += 1
    ended = counts["agreement"] + counts["termination"]
    return {
        "agreement": counts["agreement"],
        "termination": counts["termination"],
        "ended": ended,
        "success_rate": round(counts["agreement"] / ended, 4) if ended else None,
    }


def deadline_compliance(session: Session, actor: Actor, period: Period) -> list[dict[str, Any]]:
    """Per unit: deadlines met, late and open, in all and for the local rules (本地规则: limits
    the ten mechanisms do not set, the deadline timer's ``basis`` property)."""
    now = clock.now()
    per_unit: dict[int, Counter[str]] = defaultdict(Counter)
    for task in session.scalars(
        select(TaskRecord).where(
            TaskRecord.due_at.is_not(None), TaskRecord.status != TaskStatus.CANCELLED
        )
    ):
        if not _in_period(task.created_at, period) or task.unit_id is None:
            continue
        state = queries.deadline_state(task, now)
        if state is None or state == DeadlineState.SUSPENDED:
            continue
        per_unit[task.unit_id][state] += 1
        if task.due_basis == "local":
            per_unit[task.unit_id][f"local_{state}"] += 1
    names = {u.id: u for u in session.scalars(select(Unit))}
    rows = [
        {"unit": names[uid].code, "name": names[uid].name, "met": c["met"], "late": c["late"],
         "open": c["open"], "local_met": c["local_met"], "local_late": c["local_late"],
         "local_open": c["local_open"]}
        for uid, c in per_unit.items()
        if sees_everything(actor) or uid == actor.unit_id
    ]  # fmt: skip
    return sorted(rows, key=lambda r: r["unit"])


def loss_reasons(session: Session, actor: Actor, period: Period) -> list[dict[str, Any]]:
    """Lost cases by reason category, from the units' review reports (mechanism 9)."""
    counts: Counter[str] = Counter()
    for task in session.scalars(
        select(TaskRecord).where(
            TaskRecord.bpmn_id == "write_review", TaskRecord.status == TaskStatus.COMPLETED
        )
    ):
        if not _in_period(task.completed_at, period):
            continue
        if not sees_everything(actor) and task.unit_id != actor.unit_id:
            continue
        counts[(task.data or {}).get("reason_category") or "未分类"] += 1
    return [{"category": k, "count": v} for k, v in counts.most_common()]


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
