"""统计分析 recomputed from the facts by scanning them (what the product did before the
aggregates): the reference the aggregate-backed statistics must equal."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.config import LOST_OUTCOMES
from app.models import Case, ProcessInstance, TaskRecord, Unit
from app.models.case import LITIGATION, RECONSIDERATION
from app.models.states import DeadlineState, InstanceStatus, TaskStatus
from app.services import district_settings
from app.services.actor import Actor
from app.services.reporting import queries
from app.services.reporting.periods import Period, quarters
from app.services.reporting.queries import sees_everything


def _own_code(session: Session, actor: Actor) -> str | None:
    own = session.get(Unit, actor.unit_id) if actor.unit_id else None
    return own.code if own else None


def _concluded(session: Session, period: Period, kind: str) -> list[Case]:
    return [
        c
        for c in session.scalars(select(Case).where(Case.kind == kind))
        if c.outcome is not None
        and c.outcome_on is not None
        and period.start.isoformat() <= c.outcome_on <= period.end.isoformat()
    ]


def loss_rates(session: Session, actor: Actor, period: Period) -> dict[str, tuple[int, int]]:
    lost_outcomes = set(district_settings.get(session, LOST_OUTCOMES))
    concluded: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    for case in _concluded(session, period, LITIGATION):
        defendants = set(case.defendants or [case.agency.code])
        if case.losing_units is not None:
            losers = set(case.losing_units)
        else:
            losers = {case.agency.code} if case.outcome in lost_outcomes else set()
        concluded.update(defendants)
        lost.update(losers & defendants)
    rows = {code: (lost[code], n) for code, n in concluded.items()}
    if not sees_everything(actor):
        rows = {k: v for k, v in rows.items() if k == _own_code(session, actor)}
    return rows


def correction_rates(session: Session, actor: Actor, period: Period) -> dict[str, tuple[int, int]]:
    decided: Counter[str] = Counter()
    corrected: Counter[str] = Counter()
    for case in _concluded(session, period, RECONSIDERATION):
        units_ = set(case.defendants or [case.agency.code])
        decided.update(units_)
        corrected.update(set(case.losing_units or []) & units_)
    rows = {code: (corrected[code], n) for code, n in decided.items()}
    if not sees_everything(actor):
        rows = {k: v for k, v in rows.items() if k == _own_code(session, actor)}
    return rows


def trend(session: Session, actor: Actor, period: Period) -> list[tuple[int, int]]:
    found = []
    for q in quarters(period):
        rows = loss_rates(session, actor, q).values()
        found.append((sum(r[0] for r in rows), sum(r[1] for r in rows)))
    return found


def _in_period(moment: datetime | None, period: Period) -> bool:
    if moment is None:
        return False
    return period.start <= clock.to_local(moment).date() <= period.end


def mediation_success(session: Session, actor: Actor, period: Period) -> dict[str, int]:
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
    return {"agreement": counts["agreement"], "termination": counts["termination"]}


def deadline_compliance(
    session: Session, actor: Actor, period: Period
) -> dict[str, dict[str, int]]:
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
    names = {u.id: u.code for u in session.scalars(select(Unit))}
    keys = ("met", "late", "open", "local_met", "local_late", "local_open")
    return {
        names[uid]: {k: c[k] for k in keys}
        for uid, c in per_unit.items()
        if sees_everything(actor) or uid == actor.unit_id
    }


def loss_reasons(session: Session, actor: Actor, period: Period) -> dict[str, int]:
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
    return dict(counts)


def everything(session: Session, actor: Actor, period: Period) -> dict[str, Any]:
    return {
        "loss_rates": loss_rates(session, actor, period),
        "corrections": correction_rates(session, actor, period),
        "trend": trend(session, actor, period),
        "mediation": mediation_success(session, actor, period),
        "compliance": deadline_compliance(session, actor, period),
        "reasons": loss_reasons(session, actor, period),
    }
