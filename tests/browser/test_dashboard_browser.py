"""统计分析 in Chromium: loss rates with their charts, the Excel export and the evaluation.

Four court cases concluded in 2026: GTZY lost one, won one, and one was withdrawn (撤诉
counts as concluded, not lost): 1 / 3 = 33.3%, above the 30% threshold; SCJG won its one.
"""

from __future__ import annotations

import json
import re
import urllib.request

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import huajie_cli

pytestmark = pytest.mark.browser

GTZY = "洪泽区自然资源和规划局"
SCJG = "洪泽区市场监督管理局"
# (case no, agency, outcome, effective on)
CASES = [
    ("（2026）苏0813行初201号", "GTZY", "败诉", "2026-03-10"),
    ("（2026）苏0813行初202号", "GTZY", "胜诉", "2026-05-12"),
    ("（2026）苏0813行初203号", "GTZY", "撤诉", "2026-07-20"),
    ("（2026）苏0813行初204号", "SCJG", "胜诉", "2026-08-18"),
]
INTERVIEW_PROCESS = "败诉率约谈"  # processes/loss_rate_interview.bpmn
INTERVIEW_TASK = "安排约谈"


def _message(base_url: str, token: str, name: str, case_no: str, payload: dict) -> dict:
    body = {"name": name, "case_no": case_no, "payload": payload, "idempotency_key": name + case_no}
    request = urllib.request.Request(
        base_url + "/api/v1/messages",
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())


def _conclude_cases(base_url: str) -> None:
    token = huajie_cli(base_url, "tokens", "create", "court").strip()
    for case_no, agency, outcome, effective_on in CASES:
        notice = {
            "plaintiff": "某某", "agency_unit": agency, "subject": "不服行政行为",
            "court": "洪泽区人民法院", "received_on": "2026-01-05",
        }  # fmt: skip
        _message(base_url, token, "pre_filing_notice", case_no, notice)
        judgment = {"outcome": outcome, "effective_on": effective_on, "defendants": [agency]}
        if outcome == "败诉":
            judgment["performance_deadline"] = "2026-09-28"
        _message(base_url, token, "judgment", case_no, judgment)


def _login(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(f"{username}-Demo2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def _logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("button", name="退出")).to_have_count(0)


def _open_dashboard(page: Page) -> None:
    page.get_by_role("link", name="统计分析").click()
    expect(page.get_by_role("heading", name="统计分析", exact=True)).to_be_visible()


def _wait_for_chart_animations(page: Page) -> None:
    """data-ready is set when the options are given, before echarts' grow-in animation ends."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart')]"
        ".every(el => echarts.getInstanceByDom(el).getZr().animation.isFinished())"
    )


def _expect_row(page: Page, unit: str, cells: list[str]) -> None:
    expect(page.locator(f'#rates tr[data-unit="{unit}"] td')).to_have_text(cells)


def test_dashboard_shows_loss_rates_with_charts_and_exports_excel(
    browser_page: Page, live_server: str, tmp_path
):
    _conclude_cases(live_server)
    page = browser_page

    # 司法局: the period's rates, each with numerator and denominator, and four charts
    _login(page, "bureau")
    _open_dashboard(page)
    page.locator('input[type="date"][name="from"]').fill("2026-01-01")
    page.locator('input[type="date"][name="to"]').fill("2026-09-30")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"/dashboard\?from=2026-01-01&to=2026-09-30$"))
    _expect_row(page, "GTZY", [GTZY, "1", "3", "33.3%"])
    _expect_row(page, "SCJG", [SCJG, "0", "1", "0.0%"])
    charts = page.locator(".chart")
    expect(charts).to_have_count(4)
    for i in range(4):
        expect(charts.nth(i)).to_have_attribute("data-ready", "true")
        expect(charts.nth(i).locator("svg").first).to_be_attached()
    _wait_for_chart_animations(page)
    page.screenshot(path=tmp_path / "dashboard-bureau.png", full_page=True)

    # the same figures as a workbook
    with page.expect_download() as download_info:
        page.locator("#excel").click()
    workbook = tmp_path / "dashboard.xlsx"
    download_info.value.save_as(workbook)
    sheet = openpyxl.load_workbook(workbook)["败诉率"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    code, name, lost, concluded, rate = rows["GTZY"]
    assert (code, name, lost, concluded) == ("GTZY", GTZY, 1, 3)
    assert rate == pytest.approx(1 / 3)

    # on-demand evaluation: GTZY 33.3% > 30% gets a district-leader interview
    page.locator("#evaluate").click()
    expect(page.get_by_role("status")).to_contain_text("1 个单位超过阈值")
    _logout(page)
    _login(page, "leader")
    expect(page.locator("#inbox tbody tr").filter(has_text=INTERVIEW_TASK)).to_have_count(1)
    # the task itself does not name the unit; the instance list's 承办单位 does
    page.get_by_role("link", name="流程实例").click()
    page.get_by_label("机制").select_option(label=INTERVIEW_PROCESS)
    page.get_by_role("button", name="筛选").click()
    interviews = page.locator("#instances tbody tr")
    expect(interviews).to_have_count(1)
    expect(interviews.locator("td").nth(3)).to_have_text(GTZY)
    _logout(page)

    # an agency sees its own numbers only
    _login(page, "gtzy")
    _open_dashboard(page)
    expect(page.locator("#rates tbody tr")).to_have_count(1)
    _expect_row(page, "GTZY", [GTZY, "1", "3", "33.3%"])
    _wait_for_chart_animations(page)
    page.screenshot(path=tmp_path / "dashboard-gtzy.png", full_page=True)
