"""败诉率通报: the bureau's report for a period states the figures of 统计分析, the units called
to 约谈 and the reasons, in an official .docx; only those who see every unit may have it."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document

from app.services.reporting import evaluation, stats
from tests.helpers import actor
from tests.test_stats import seeded  # noqa: F401  (the seeded cases, a fixture)
from tests.test_web import login

pytestmark = pytest.mark.both_databases

PERIOD = "from=2026-01-01&to=2026-09-30"


def _text(content: bytes) -> tuple[list[str], list[list[tuple[str, ...]]]]:
    doc = Document(io.BytesIO(content))
    paragraphs = [p.text for p in doc.paragraphs if p.text]
    tables = [[tuple(c.text for c in row.cells) for row in t.rows] for t in doc.tables]
    return paragraphs, tables


def test_the_bulletin_states_the_periods_figures_and_interviews(client, seeded):  # noqa: F811
    period = stats.Period(date(2026, 1, 1), date(2026, 9, 30))
    evaluation.evaluate(seeded, actor(seeded, "bureau"), period)  # GTZY and SCJG: 约谈
    login(client, "bureau")
    assert 'id="bulletin"' in client.get(f"/dashboard?{PERIOD}").get_data(as_text=True)
    response = client.get(f"/dashboard/bulletin.docx?{PERIOD}")
    assert response.status_code == 200
    paragraphs, tables = _text(response.data)
    title = "关于2026年1月1日至2026年9月30日全区行政机关行政诉讼败诉情况的通报"
    assert paragraphs[0] == "洪泽区司法局" and title in paragraphs
    overall = next(p for p in paragraphs if p.startswith("2026年1月1日至2026年9月30日，全区"))
    assert "审结行政诉讼案件7件" in overall and "败诉3件，败诉率42.9%" in overall
    assert "败诉率高于30.0%的单位：洪泽区自然资源和规划局、洪泽区市场监督管理局" in overall
    units, *_ = tables
    assert units[0] == ("单位", "审结案件数", "败诉案件数", "败诉率")
    assert ("洪泽区自然资源和规划局", "4", "2", "50.0%") in units
    assert ("洪泽区市场监督管理局", "3", "1", "33.3%") in units
    assert "因败诉率较高被约谈的单位：洪泽区自然资源和规划局、洪泽区市场监督管理局。" in paragraphs
    assert paragraphs[-2:][0] == "洪泽区司法局"  # signed by the bureau, dated


def test_a_quarter_is_named_as_such_and_an_agency_cannot_have_it(client, seeded):  # noqa: F811
    login(client, "bureau")
    quarter = client.get("/dashboard/bulletin.docx?from=2026-07-01&to=2026-09-30")
    paragraphs, _ = _text(quarter.data)
    assert "关于2026年第3季度全区行政机关行政诉讼败诉情况的通报" in paragraphs
    assert "本期间没有单位因败诉率被约谈。" in paragraphs
    login(client, "gtzy")
    assert client.get(f"/dashboard/bulletin.docx?{PERIOD}").status_code == 403
    assert 'id="bulletin"' not in client.get(f"/dashboard?{PERIOD}").get_data(as_text=True)
