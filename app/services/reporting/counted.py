"""Mediation success, deadline compliance and loss reasons, read from ``stat_counts`` (the
year, month and day counts kept with the facts, ``aggregates``): the cost grows with the
period's length in years. Open deadlines are read from the tasks themselves (few, and late
or not only as of now)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from app import clock
from app.models import StatCount, TaskRecord, Unit
from app.models.states import DeadlineState, TaskStatus
from app.services.actor import Actor
from app.services.reporting.aggregates import ALL_UNITS, DEADLINE, MEDIATION, NO_UNIT, REASON
from app.services.reporting.periods import Period, spans
from app.services.reporting.queries import sees_everything


def counted(
    session: Session, statistic: str, period: Period, unit_id: int | None, by_month: bool = False
) -> dict[Any, Counter[str]]:
    """Unit id (YYYY-MM when ``by_month``) → key → how many, of one statistic in the period:
    of one unit, of all units together (``ALL_UNITS``), or (None) of every unit on its own."""
    group = func.substr(StatCount.span, 1, 7) if by_month else StatCount.unit_id
    found: dict[Any, Counter[str]] = defaultdict(Counter)
    for grain, first, last in spans(period, years=not by_month):
        query = (
            select(group, StatCount.key, func.sum(StatCount.n))
            .where(
                StatCount.statistic == statistic,
                StatCount.grain == grain,
                StatCount.span >= first,
                StatCount.span <= last,
            )
            .group_by(group, StatCount.key)
        )
        if unit_id is None:
            query = query.where(StatCount.unit_id != ALL_UNITS)
        else:
            query = query.where(StatCount.unit_id == unit_id)
        for value, key, n in session.execute(query):
            found[value][key] += n
    return found


def _totals(session: Session, actor: Actor, statistic: str, period: Period) -> Counter[str]:
    """All units together, or the actor's own unit's."""
    unit = ALL_UNITS if sees_everything(actor) else (actor.unit_id or NO_UNIT)
    return counted(session, statistic, period, unit)[unit]


def mediation_success(session: Session, actor: Actor, period: Period) -> dict[str, Any]:
    """Mechanism 4: instances that ended in the period, by outcome."""
    counts = _totals(session, actor, MEDIATION, period)
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
    if not sees_everything(actor) and actor.unit_id is None:
        return []
    unit = None if sees_everything(actor) else actor.unit_id
    per_unit = counted(session, DEADLINE, period, unit)
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
    counts = _totals(session, actor, REASON, period)
    ranked = sorted(((k, v) for k, v in counts.items() if v), key=lambda kv: (-kv[1], kv[0]))
    return [{"category": k, "count": v} for k, v in ranked]
