"""The statistics read aggregates kept with the facts; they must equal the figures recomputed
from the facts themselves, for random cases, decisions, reviews and mediations recorded
through the services (reversals, co-defendants, late and timely reports included)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from app.models import AuditEvent, StatCount, TaskRecord
from app.models.states import TaskStatus
from app.services import district_settings
from app.services.actor import SYSTEM
from app.services.court import judgments, messages, reconsiderations
from app.services.reporting import stats
from app.services.reporting.periods import Period
from tests import stats_from_facts
from tests.helpers import actor, complete, register, step
from tests.samples import load

pytestmark = pytest.mark.both_databases

AGENCIES = {"GTZY": "gtzy", "SCJG": "scjg", "GXJD": "gxjd", "CHZ": "chz"}
CATEGORIES = ["事实认定不清", "主要证据不足", "适用法律错误", "违反法定程序", "超越职权"]
START = datetime.fromisoformat("2025-01-06T09:00:00+08:00")
REVIEW = load("loss_review")["paths"]["single_unit"]["write_review"]


def _day(moment: datetime, back: int) -> str:
    return (moment.date() - timedelta(days=back)).isoformat()


def _court(db, name: str, case_no: str, payload: dict[str, Any], key: str) -> None:
    body = {"name": name, "case_no": case_no, "idempotency_key": key, "payload": payload}
    messages.receive(db, actor(db, "court"), body)


def _judgment(rng: random.Random, agency: str, now: datetime) -> dict[str, Any]:
    outcome = rng.choice(judgments.OUTCOMES)
    others = [a for a in AGENCIES if a != agency]
    defendants = [agency, *rng.sample(others, rng.choice([0, 0, 1, 2]))]
    payload: dict[str, Any] = {
        "outcome": outcome, "effective_on": _day(now, rng.randrange(40)),
        "defendants": defendants, "performance_deadline": _day(now, -60),
    }  # fmt: skip
    losers = rng.choice(["omit", "none", "some"])
    if losers == "none":
        payload["losing_units"] = []
    elif losers == "some":
        payload["losing_units"] = rng.sample(defendants, rng.randint(1, len(defendants)))
    return payload


def _review_some(db, rng: random.Random) -> None:
    """Complete about half of the open review reports now (on time or late, as it falls)."""
    with db.read() as session:
        open_reviews = list(
            session.scalars(
                select(TaskRecord).where(
                    TaskRecord.bpmn_id == "write_review", TaskRecord.status == TaskStatus.OPEN
                )
            )
        )
    for task in open_reviews:
        if rng.random() < 0.5:
            data = {**REVIEW, "reason_category": rng.choice(CATEGORIES)}
            complete(db, AGENCIES[task.unit.code], task.id, data)


def _mediation(db, rng: random.Random, n: int) -> None:
    agency = rng.choice(["GTZY", "SCJG"])
    instance = register(db, court_case_no=f"（2025）苏0813行诉前{n}号", agency_unit=agency)
    step(db, instance, "center", "register_materials")
    step(db, instance, AGENCIES[agency], "agency_reply")
    step(db, instance, "center", "schedule_mediation")
    if rng.random() < 0.6:
        step(db, instance, "center", "record_outcome")
        step(db, instance, "center", "sign_agreement")
    else:
        step(db, instance, "center", "record_outcome", outcome="termination")
        step(db, instance, "center", "terminate_mediation")


def _generate(db, clock, rng: random.Random, cases: int = 24) -> None:
    now = START
    for n in range(1, cases + 1):
        now += timedelta(days=rng.randrange(10, 40), hours=rng.randrange(8))
        clock.set(now.isoformat())
        case_no, agency = f"（2025）苏0813行初{n}号", rng.choice(list(AGENCIES))
        notice = {"plaintiff": "某某", "agency_unit": agency, "subject": "x", "court": "法院"}
        _court(db, "pre_filing_notice", case_no, notice, f"{n}a")
        what = rng.random()
        if what < 0.65:
            _court(db, "judgment", case_no, _judgment(rng, agency, now), f"{n}b")
            if rng.random() < 0.3:  # corrected: possibly no longer a loss (a reversal)
                fix = {**_judgment(rng, agency, now), "correction": True}
                fix["correction_reason"] = "二审改判"
                _court(db, "judgment", case_no, fix, f"{n}c")
        elif what < 0.85:
            closed = {"outcome": rng.choice(judgments.OUTCOMES), "closed_on": _day(now, 3)}
            _court(db, "case_closed_without_judgment", case_no, closed, f"{n}d")
        if rng.random() < 0.35:
            decided = rng.randrange(30)
            reconsiderations.record(db, actor(db, "bureau"), {
                "decision_no": f"洪政复决〔2025〕{n}号", "unit": rng.choice(list(AGENCIES)),
                "applicant": "某某", "subject": "x",
                "outcome": rng.choice(reconsiderations.OUTCOMES), "decided_on": _day(now, decided),
                "received_on": _day(now, rng.randrange(decided + 1)),
            })  # fmt: skip
        if rng.random() < 0.25:
            _mediation(db, rng, n)
        _review_some(db, rng)


def _from_aggregates(session, who, period: Period) -> dict[str, Any]:
    board = stats.dashboard(session, who, period)
    keys = ("met", "late", "open", "local_met", "local_late", "local_open")
    return {
        "loss_rates": {r.unit_code: (r.lost, r.concluded) for r in board.rates},
        "corrections": {r.unit_code: (r.corrected, r.decided) for r in board.corrections},
        "trend": [(t["lost"], t["concluded"]) for t in board.trend],
        "mediation": {k: board.mediation[k] for k in ("agreement", "termination")},
        "compliance": {c["unit"]: {k: c[k] for k in keys} for c in board.compliance},
        "reasons": {r["category"]: r["count"] for r in board.reasons},
    }


def _periods(rng: random.Random) -> list[Period]:
    fixed = [
        Period(date(2005, 1, 1), date(2026, 12, 31)),  # twenty years
        Period(date(2025, 4, 1), date(2025, 6, 30)),  # a quarter
        Period(date(2025, 3, 17), date(2025, 3, 17)),  # a day
        Period(date(2025, 1, 31), date(2025, 3, 1)),  # a month and its edges
    ]
    spans = []
    for _ in range(8):
        start = date(2025, 1, 1) + timedelta(days=rng.randrange(600))
        spans.append(Period(start, start + timedelta(days=rng.randrange(1, 300))))
    return fixed + spans


def _compare(db, rng: random.Random) -> dict[str, Any]:
    """Every figure, for every period and viewer, from the aggregates and from the facts."""
    viewers = [actor(db, u) for u in ("bureau", "gtzy", "scjg")]
    everything = {}
    with db.read() as session:
        for period in _periods(rng):
            for who in viewers:
                expected = stats_from_facts.everything(session, who, period)
                assert _from_aggregates(session, who, period) == expected, (period, who)
                everything[(period.start, period.end, who.username)] = expected
    return everything


def test_every_statistic_equals_the_facts_recomputed(db, clock):
    rng = random.Random(22)
    _generate(db, clock, rng)
    clock.set("2026-12-20T10:00:00+08:00")  # the reports still open are now late
    figures = _compare(db, random.Random(1))
    twenty_years = figures[(date(2005, 1, 1), date(2026, 12, 31), "bureau")]
    # the random facts reach every statistic, so equality means something
    assert sum(lost for lost, _ in twenty_years["loss_rates"].values()) >= 5
    assert any(n > 1 for _, n in twenty_years["loss_rates"].values())
    assert sum(c for c, _ in twenty_years["corrections"].values()) >= 1
    assert all(twenty_years["mediation"].values())
    compliance = twenty_years["compliance"].values()
    assert all(sum(c[k] for c in compliance) for k in ("met", "late"))
    assert len(twenty_years["reasons"]) >= 3
    # which outcomes count as lost is read when the figures are, not when they were counted
    district_settings.change(db, SYSTEM, "lost_outcomes", ["败诉"])
    _compare(db, random.Random(2))


def test_rebuild_command_restores_the_aggregates_from_the_facts(db, clock):
    _generate(db, clock, random.Random(7))
    clock.set("2026-12-20T10:00:00+08:00")
    with db.read() as session:
        twenty_years = Period(date(2005, 1, 1), date(2026, 12, 31))
        before = _from_aggregates(session, SYSTEM, twenty_years)
    with db.write() as session:  # as after a bulk load that bypassed the services
        session.execute(delete(StatCount))
    with db.read() as session:
        assert _from_aggregates(session, SYSTEM, twenty_years) != before
    from app.cli import main

    result = CliRunner().invoke(main, ["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "deadline" in result.output and "litigation" in result.output
    with db.read() as session:
        assert _from_aggregates(session, SYSTEM, twenty_years) == before
        assert stats_from_facts.everything(session, SYSTEM, twenty_years) == before
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "stats.rebuild"))
        assert [e.actor for e in events] == ["system"]


def test_the_migration_fills_the_aggregates_from_the_facts_recorded_before_it(db, clock, settings):
    from alembic import command

    from app.migrate import alembic_config

    _generate(db, clock, random.Random(5), cases=12)
    clock.set("2026-12-20T10:00:00+08:00")
    twenty_years = Period(date(2005, 1, 1), date(2026, 12, 31))
    with db.read() as session:
        expected = stats_from_facts.everything(session, SYSTEM, twenty_years)
    config = alembic_config(settings.database_url)
    command.downgrade(config, "0021-1")
    command.upgrade(config, "head")
    with db.read() as session:
        assert _from_aggregates(session, SYSTEM, twenty_years) == expected
    assert expected["loss_rates"] and expected["compliance"] and expected["reasons"]
