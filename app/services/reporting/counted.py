"""Mediation success, deadline compliance and loss reasons, read from ``stat_counts`` (day and
month counts kept with the facts, ``aggregates``): the cost grows with the period's months.
Open deadlines are read from the tasks themselves (few, and late or not only as of now)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from app import clock
from app.models import StatCount, TaskRecord, Unit
from app.models.states import DeadlineState, TaskStatus
from app.services.actor import Actor
from app.services.reporting.aggregates import DEADLINE, MEDIATION, NO_UNIT, REASON
from app.services.reporting.periods import Period, spans
from app.services.reporting.queries import sees_everything


def counted(
    session: Session, actor: Actor, statistic: str, period: Period
) -> dict[int, Counter[str]]:
    """unit id → key → how many, of one statistic in the period (what the actor may see)."""
    days, months = spans(period)
    ranges = [("d", *r) for r in days] + ([("m", *months)] if months else [])
    found: dict[int, Counter[str]] = defaultdict(Counter)
    for grain, first, last in ranges:
        query = (
            select(StatCount.unit_id, StatCount.key, func.sum(StatCount.n))
            .where(
                StatCount.statistic == statistic,
                StatCount.grain == grain,
                StatCount.span >= first,
                StatCount.span <= last,
            )
            .group_by(StatCount.unit_id, StatCount.key)
        )
        if not sees_everything(actor):
            query = query.where(StatCount.unit_id == (actor.unit_id or NO_UNIT))
        for unit_id, key, n in session.execute(query):
            found[unit_id][key] += n
    return found


def _all_units(per_unit: dict[int, Counter[str]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for counts in per_unit.values():
        total.update(counts)
    return total


def mediation_success(session: Session, actor: Actor, period: Period) -> dict[str, Any]:
    """Mechanism 4: instances that ended in the period, by outcome."""
    counts = _all_units(counted(session, actor, MEDIATION, period))
    ended = counts["agreement"] + counts["termination"]
    return {
        "agreement": counts["agreement"],
        "termination": counts["termination"],
        "ended": ended,
        "success_rate": round(counts["agreement"] / ended, 4) if ended else None,
    }


def _open_deadlines(
    session: Session, actor: Actor, period: Period, per_unit: dict[int, Counter[str]]
) -> None:
    """Add the open tasks created in the period: late once their due time has passed."""
    first, after = period.utc_bounds()
    now = clock.now()
    for state, due in ((DeadlineState.LATE, TaskRecord.due_at < now),
                       (DeadlineState.OPEN, TaskRecord.due_at >= now)):  # fmt: skip
        query = (
            select(TaskRecord.unit_id, TaskRecord.due_basis, func.count())
            .where(
                TaskRecord.status == TaskStatus.OPEN,
                due,
                TaskRecord.deadline_suspended == false(),
                TaskRecord.unit_id.is_not(None),
                TaskRecord.created_at >= first,
                TaskRecord.created_at < after,
            )
            .group_by(TaskRecord.unit_id, TaskRecord.due_basis)
        )
        if not sees_everything(actor):
            query = query.where(TaskRecord.unit_id == actor.unit_id)
        for unit_id, basis, n in session.execute(query):
            assert unit_id is not None  # the query asks for tasks of a unit
            per_unit[unit_id][str(state)] += n
            if basis == "local":
                per_unit[unit_id][f"local_{state}"] += n


def deadline_compliance(session: Session, actor: Actor, period: Period) -> list[dict[str, Any]]:
    """Per unit: deadlines met, late and open, in all and for the local rules (本地规则: limits
    the ten mechanisms do not set, the deadline timer's ``basis`` property)."""
    per_unit = counted(session, actor, DEADLINE, period)
    _open_deadlines(session, actor, period, per_unit)
    names = {u.id: u for u in session.scalars(select(Unit))}
    rows = [
        {"unit": names[uid].code, "name": names[uid].name, "met": c["met"], "late": c["late"],
         "open": c["open"], "local_met": c["local_met"], "local_late": c["local_late"],
         "local_open": c["local_open"]}
        for uid, c in per_unit.items()
        if any(c.values()) and uid in names
    ]  # fmt: skip
    return sorted(rows, key=lambda r: r["unit"])


def loss_reasons(session: Session, actor: Actor, period: Period) -> list[dict[str, Any]]:
    """Lost cases by reason category, from the units' review reports (mechanism 9)."""
    counts = _all_units(counted(session, actor, REASON, period))
    ranked = sorted(((k, v) for k, v in counts.items() if v), key=lambda kv: (-kv[1], kv[0]))
    return [{"category": k, "count": v} for k, v in ranked]
