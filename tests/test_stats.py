"""统计分析: loss-rate arithmetic on a seeded set of cases, the dashboard, export and API."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select, update

from app import clock
from app.models import Case, Unit
from app.services.actor import SYSTEM, Actor
from app.services.identity import org
from app.services.reporting import evaluation, stats
from tests.helpers import actor
from tests.test_web import login

pytestmark = pytest.mark.both_databases

# (case no, agency, outcome, outcome_on, defendants, losing_units)
SEED = [
    ("（2026）苏0813行初1号", "GTZY", "败诉", "2026-02-10", None, None),
    ("（2026）苏0813行初2号", "GTZY", "胜诉", "2026-03-01", None, None),
    ("（2026）苏0813行初3号", "GTZY", "撤诉", "2026-05-20", None, None),
    ("（2026）苏0813行初4号", "GTZY", "部分败诉", "2026-08-01", ["GTZY", "SCJG"], ["GTZY", "SCJG"]),
    ("（2026）苏0813行初5号", "SCJG", "胜诉", "2026-04-02", None, None),
    ("（2026）苏0813行初6号", "SCJG", "驳回起诉", "2026-09-01", None, None),
    ("（2025）苏0813行初7号", "SCJG", "败诉", "2025-12-30", None, None),  # outside 2026
    ("（2026）苏0813行初8号", "CHZ", None, None, None, None),  # not concluded
]


@pytest.fixture
def seeded(db):
    with db.write() as session:
        for case_no, agency, outcome, on, defendants, losing in SEED:
            unit = org.unit_by_code(session, agency)
            session.add(
                Case(
                    case_no=case_no, plaintiff="某某", agency_unit_id=unit.id, subject="x",
                    claims="", court="洪泽区人民法院", received_on="2026-01-01",
                    created_at=clock.now(), created_by="test", outcome=outcome, outcome_on=on,
                    defendants=defendants, losing_units=losing,
                )
            )  # fmt: skip
    return db


def _rates(db, who="bureau", start="2026-01-01", end="2026-09-30"):
    with db.read() as session:
        period = stats.Period(date.fromisoformat(start), date.fromisoformat(end))
        return {
            r.unit_code: (r.lost, r.concluded)
            for r in stats.loss_rates(session, actor(db, who), period)
        }


def test_loss_rate_is_lost_over_concluded_including_withdrawals(seeded):
    rates = _rates(seeded)
    # GTZY: 1号 败诉, 2号 胜诉, 3号 撤诉 (concluded, not lost), 4号 部分败诉 as co-defendant
    assert rates["GTZY"] == (2, 4)
    # SCJG: 4号 co-defendant lost, 5号 胜诉, 6号 驳回起诉; 7号 is in 2025
    assert rates["SCJG"] == (1, 3)
    assert "CHZ" not in rates  # nothing concluded


def test_period_bounds_and_quarters(seeded):
    assert _rates(seeded, start="2026-01-01", end="2026-03-31")["GTZY"] == (1, 2)
    assert _rates(seeded, start="2025-01-01", end="2025-12-31") == {"SCJG": (1, 1)}
    with seeded.read() as session:
        period = stats.Period(date(2026, 1, 1), date(2026, 9, 30))
        trend = stats.trend(session, actor(seeded, "bureau"), period)
    assert [t["quarter"] for t in trend] == ["2026年第1季度", "2026年第2季度", "2026年第3季度"]
    assert [(t["lost"], t["concluded"]) for t in trend] == [(1, 2), (0, 2), (2, 3)]


def test_lost_outcomes_are_configurable(seeded):
    from app.services import district_settings

    district_settings.change(seeded, SYSTEM, "lost_outcomes", ["败诉"])
    # 4号 carries explicit losing units, so it still counts for both
    assert _rates(seeded)["GTZY"] == (2, 4)
    with seeded.write() as session:
        case = session.scalar(select(Case).where(Case.case_no == "（2026）苏0813行初4号"))
        case.losing_units = None
    assert _rates(seeded)["GTZY"] == (1, 4)


def test_an_agency_sees_only_its_own_numbers(seeded):
    assert set(_rates(seeded, who="gtzy")) == {"GTZY"}
    assert set(_rates(seeded, who="leader")) == {"GTZY", "SCJG"}


def test_api_returns_numerator_and_denominator(client, seeded):
    with seeded.write() as session:
        token = org.create_token(session, SYSTEM, "bureau")
    body = client.get(
        "/api/v1/stats/loss-rate?from=2026-01-01&to=2026-09-30",
        headers={"Authorization": f"Bearer {token}"},
    ).json
    gtzy = next(u for u in body["units"] if u["unit"] == "GTZY")
    assert (gtzy["lost"], gtzy["concluded"], gtzy["loss_rate"]) == (2, 4, 0.5)
    bad = client.get("/api/v1/stats/loss-rate?from=x", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400


def test_dashboard_page_and_excel_export(client, seeded):
    login(client, "bureau")
    page = client.get("/dashboard?from=2026-01-01&to=2026-09-30").get_data(as_text=True)
    assert "各单位败诉率" in page and "50.0%" in page and "33.3%" in page
    response = client.get("/dashboard.xlsx?from=2026-01-01&to=2026-09-30")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["败诉率"]
    rows = {r[0]: r[2:5] for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["GTZY"] == (2, 4, 0.5)
    assert set(book.sheetnames) == {
        "败诉率",
        "复议纠错率",
        "季度趋势",
        "诉前调处",
        "期限执行",
        "败诉原因",
    }


def test_excel_export_writes_formula_like_text_as_text(client, seeded):
    """A unit name (or a reason category) that a spreadsheet would take for a formula is a
    text cell in the export: opening it runs nothing."""
    names = {"GTZY": '=HYPERLINK("http://example.invalid","点此查看")', "SCJG": "@SUM(1+1)"}
    with seeded.write() as session:
        for code, name in names.items():
            session.execute(update(Unit).where(Unit.code == code).values(name=name))
    login(client, "bureau")
    response = client.get("/dashboard.xlsx?from=2026-01-01&to=2026-09-30")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    cells = {row[0].value: row[1] for row in book["败诉率"].iter_rows(min_row=3) if row[0].value}
    for code, name in names.items():
        assert cells[code].value == name
        assert cells[code].data_type == "s" and cells[code].quotePrefix
    formulas = [c for sheet in book for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


def test_evaluation_interviews_units_above_the_threshold_once(seeded):
    from app.models import ProcessInstance, TaskRecord

    bureau = actor(seeded, "bureau")
    period = stats.Period(date(2026, 1, 1), date(2026, 9, 30))
    result = evaluation.evaluate(seeded, bureau, period)
    # threshold 30%: GTZY 50% and SCJG 33.3% are above it
    assert len(result.started) == 2
    assert evaluation.evaluate(seeded, bureau, period).started == []  # once per period
    with seeded.read() as session:
        tasks = list(
            session.scalars(select(TaskRecord).where(TaskRecord.instance_id.in_(result.started)))
        )
        government = session.scalar(select(Unit).where(Unit.kind == "government"))
        instance = session.get(ProcessInstance, result.started[0])
    assert {t.unit_id for t in tasks} == {government.id}
    assert {t.role for t in tasks} == {"leader"}
    assert instance.process_id == "loss_rate_interview"
    with pytest.raises(Exception, match="司法局"), seeded.write() as session:
        evaluation.evaluate.within(session, actor(seeded, "gtzy"), period)


def test_a_unit_with_too_few_concluded_cases_is_not_interviewed_on_its_rate_alone(seeded):
    from app.models import ProcessInstance
    from app.services import district_settings

    bureau = actor(seeded, "bureau")
    period = stats.Period(date(2026, 1, 1), date(2026, 9, 30))
    with seeded.write() as session:
        district_settings.change.within(session, SYSTEM, "interview_min_concluded", 4)
        result = evaluation.evaluate.within(session, bureau, period)
    # SCJG's 33.3% rests on 3 concluded cases: below the minimum of 4, no 约谈
    assert result.above == ["GTZY", "SCJG"] and len(result.started) == 1
    with seeded.read() as session:
        (started,) = [session.get(ProcessInstance, i) for i in result.started]
        assert started.unit.code == "GTZY"


def test_last_quarter():
    assert evaluation.last_quarter(date(2026, 10, 1)) == stats.Period(
        date(2026, 7, 1), date(2026, 9, 30)
    )
    assert evaluation.last_quarter(date(2027, 2, 14)) == stats.Period(
        date(2026, 10, 1), date(2026, 12, 31)
    )


def test_mediation_success_and_deadline_compliance(db, clock):
    from tests.helpers import register, step

    done = register(db)
    for expect, who in [("register_materials", "center"), ("agency_reply", "gtzy"),
                        ("schedule_mediation", "center"), ("record_outcome", "center"),
                        ("sign_agreement", "center")]:  # fmt: skip
        step(db, done, who, expect)
    late = register(db, court_case_no="（2026）苏0813行诉前2号")
    step(db, late, "center", "register_materials")
    clock.set("2026-10-15T10:00:00+08:00")
    with db.read() as session:
        period = stats.Period(date(2026, 9, 1), date(2026, 10, 31))
        who = Actor("t", "system")
        mediation = stats.mediation_success(session, who, period)
        compliance = {c["unit"]: c for c in stats.deadline_compliance(session, who, period)}
    assert mediation == {"agreement": 1, "termination": 0, "ended": 1, "success_rate": 1.0}
    assert compliance["GTZY"]["met"] == 1 and compliance["GTZY"]["late"] == 1
    assert compliance["TCZX"]["met"] == 1


def test_settings_command_changes_the_threshold_and_refuses_bad_values(seeded):
    from click.testing import CliRunner

    from app.cli import main

    ok = CliRunner().invoke(main, ["settings", "set", "loss_rate_threshold", "0.4"])
    assert ok.exit_code == 0
    bad = CliRunner().invoke(main, ["settings", "set", "loss_rate_threshold", "7"])
    assert bad.exit_code == 2
    shown = CliRunner().invoke(main, ["settings", "show"]).output
    assert "loss_rate_threshold = 0.4" in shown
    period = stats.Period(date(2026, 1, 1), date(2026, 9, 30))
    result = evaluation.evaluate(seeded, actor(seeded, "bureau"), period)
    assert result.above == ["GTZY"]  # 50% > 40%; SCJG's 33.3% no longer is


def test_quarterly_job_evaluates_the_quarter_just_ended(seeded, clock):
    from app.scheduler import TimerScheduler
    from app.services import district_settings

    # Q3 alone concluded too few cases for the default of 3
    district_settings.change(seeded, SYSTEM, "interview_min_concluded", 1)
    clock.set("2026-10-01T09:00:00+08:00")
    TimerScheduler(seeded)._evaluate()
    with seeded.read() as session:
        from app.models import ProcessInstance

        summaries = [
            i.summary
            for i in session.scalars(
                select(ProcessInstance).where(ProcessInstance.process_id == "loss_rate_interview")
            )
        ]
    # Q3 2026: GTZY lost 1 of 1 (4号, co-defendant); SCJG lost 1 of 2
    assert len(summaries) == 2 and all("2026年第3季度" in s for s in summaries)
