"""One case across mechanisms 5 and 8, followed on its case page in Chromium.

The court's 预立案信息通报 starts 法院立案前信息通报; its losing judgment starts 审后督促履行.
The product clock is fixed at 2026-09-30 10:00 (Shanghai), the day before the National Day
holiday: the 5-day report deadline after a 2026-09-28 performance deadline lands on 10-03 and
rolls to 2026-10-08.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import huajie_cli
from tests.browser.test_mediation_browser import FormValues, fill_form, login, logout

pytestmark = pytest.mark.browser

CASE_NO = "（2026）苏0813行初66号"
NOTICE = {
    "plaintiff": "钱某某",
    "agency_unit": "SCJG",
    "subject": "不服食品安全行政处罚决定",
    "claims": "撤销《行政处罚决定书》（洪市监罚〔2026〕41号）",
    "court": "洪泽区人民法院",
    "received_on": "2026-09-30",
}
JUDGMENT = {
    "outcome": "败诉",
    "effective_on": "2026-09-20",
    "performance_deadline": "2026-09-28",
    "defendants": ["SCJG"],
    "orders_new_act": False,
}

NOTICE_PROCESS = "法院立案前信息通报"
PERFORMANCE_PROCESS = "审后督促履行"
NOTIFY = "通报案涉行政机关并告知做好应诉准备"
PREPARE = "确认收悉并做好应诉准备"
PERFORM = "履行判决并报告履行情况"
CONFIRM = "确认履行情况"
NOTICE_LETTER = "行政诉讼立案前信息通报函"
PERFORMANCE_REPORT = "生效判决履行情况报告"


# --- helpers ---------------------------------------------------------------------------


def court_message(base_url: str, token: str, name: str, payload: dict, key: str) -> dict:
    """POST a court event to /api/v1/messages as the court; return the JSON answer."""
    body = {"name": name, "case_no": CASE_NO, "payload": payload, "idempotency_key": key}
    request = urllib.request.Request(
        base_url + "/api/v1/messages",
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        result: dict[str, Any] = json.loads(response.read())
    assert result["started"], result  # a losing judgment also starts review and fault check
    return result


def open_case(page: Page) -> None:
    """From the nav: 案件, search by the plaintiff, open the one case found."""
    page.get_by_role("link", name="案件", exact=True).click()
    page.get_by_role("textbox", name="查找").fill(NOTICE["plaintiff"])
    page.get_by_role("button", name="查找").click()
    rows = page.locator("#cases tbody tr")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name=CASE_NO).click()
    expect(page.get_by_role("heading", name=f"案件 {CASE_NO}")).to_be_visible()


def entries(page: Page, kind: str, text: str) -> Locator:
    return page.locator(f"#timeline li.entry.kind-{kind}").filter(has_text=text)


def instance_item(page: Page, process_name: str) -> Locator:
    return page.locator("#case-instances li").filter(has_text=process_name)


def submit(page: Page, task_name: str) -> None:
    page.get_by_role("button", name="提交").click()
    expect(page).to_have_url(re.compile(r"/instances/\d+$"))
    expect(page.get_by_role("status")).to_have_text(f"“{task_name}”已提交")


def inbox_row(page: Page, task_name: str) -> Locator:
    """This case's inbox row of the named task."""
    return (
        page.locator("#inbox tr[data-task-id]")
        .filter(has_text=CASE_NO)
        .filter(has=page.get_by_role("link", name=task_name, exact=True))
    )


def work_from_inbox(page: Page, task_name: str, values: FormValues) -> None:
    page.get_by_role("link", name="待办", exact=True).click()
    inbox_row(page, task_name).get_by_role("link", name=task_name, exact=True).click()
    expect(page.get_by_role("heading", name=task_name)).to_be_visible()
    fill_form(page, values)
    submit(page, task_name)


# --- the walk --------------------------------------------------------------------------


def test_case_page_follows_a_dispute_from_pre_filing_notice_to_judgment_performance(
    browser_page: Page, live_server: str, tmp_path: Path
) -> None:
    page = browser_page

    # 1. The court notifies the centre of a new case against SCJG.
    token = huajie_cli(live_server, "tokens", "create", "court").strip()
    court_message(live_server, token, "pre_filing_notice", NOTICE, "case-browser-notice")

    # 2. The centre finds the case, sees the open notice mechanism and its deadline, notifies.
    login(page, "center")
    open_case(page)
    expect(instance_item(page, NOTICE_PROCESS).locator(".tag")).to_have_text("进行中")
    expect(entries(page, "message", "法院消息：预立案信息通报")).to_have_count(1)
    deadline = entries(page, "deadline", NOTIFY)
    expect(deadline).to_have_count(1)
    expect(deadline).to_have_class(re.compile(r"\bdeadline-open\b"))
    expect(deadline.locator(".tag").last).to_have_text("未到期")

    deadline.get_by_role("link").click()  # to the instance
    expect(page.locator("#instance-status")).to_have_text("进行中")
    page.locator("#history").get_by_role("link", name=NOTIFY).click()
    expect(page.get_by_role("heading", name=NOTIFY)).to_be_visible()
    expect(page.get_by_text("截止 2026-10-08")).to_be_visible()
    fill_form(
        page,
        {
            "通报日期": "2026-09-30",
            "书面通知": True,
            "接收人": "王某某（法制科科长）",
            "备注": "已同步通过电话提醒法制科。",
        },
    )
    submit(page, NOTIFY)

    open_case(page)
    expect(deadline).to_have_class(re.compile(r"\bdeadline-met\b"))
    expect(deadline.locator(".tag").last).to_have_text("按期")
    expect(entries(page, "document", NOTICE_LETTER)).to_have_count(1)
    logout(page)

    # 3. The agency confirms receipt and names its litigation staff.
    login(page, "scjg")
    work_from_inbox(
        page,
        PREPARE,
        {
            "已收悉通报": True,
            "应诉人员": ["陈某某（法制科）", "周某某（执法稽查大队）"],
            "出庭负责人": "赵某某",
            "职务": "副局长",
            "应诉准备情况": "已调取行政处罚案卷，法律顾问已介入研究答辩意见。",
        },
    )
    expect(page.locator("#instance-status")).to_have_text("已办结")
    logout(page)

    # 4. The court reports the losing judgment.
    court_message(live_server, token, "judgment", JUDGMENT, "case-browser-judgment")

    # 5. The agency's report is due 2026-10-08 (10-03 falls in the holiday); it reports.
    login(page, "scjg")
    expect(inbox_row(page, PERFORM).locator("td").nth(2)).to_have_text("2026-10-08")
    work_from_inbox(
        page,
        PERFORM,
        {
            "已全部履行": True,
            "履行情况": "已于2026年9月28日撤销《行政处罚决定书》，并书面告知原告。",
            "履行日期": "2026-09-28",
        },
    )
    logout(page)

    # 6. The centre confirms; the case page tells the whole story.
    login(page, "center")
    work_from_inbox(page, CONFIRM, {"已履行到位": True, "意见": "经核实，判决已履行到位。"})
    expect(page.locator("#instance-status")).to_have_text("已办结")

    open_case(page)
    expect(page.locator("#case-outcome")).to_contain_text("败诉")
    # the notice and the performance are done; the loss review and fault check (mechanisms
    # 9 and 10) started by the losing judgment are still running
    expect(page.locator("#case-instances li")).to_have_count(4)
    for process_name in (NOTICE_PROCESS, PERFORMANCE_PROCESS):
        expect(instance_item(page, process_name).locator(".tag")).to_have_text("已办结")
    expect(instance_item(page, "败诉案件复盘整改").locator(".tag")).to_have_text("进行中")
    expect(entries(page, "document", NOTICE_LETTER)).to_have_count(1)
    expect(entries(page, "document", PERFORMANCE_REPORT)).to_have_count(1)
    expect(entries(page, "deadline", PERFORM).locator(".tag").last).to_have_text("按期")
    diagrams = page.locator(".diagram")
    expect(diagrams).to_have_count(4)
    for i in range(2):
        expect(diagrams.nth(i)).to_have_attribute("data-ready", "true")

    times = page.locator("#timeline li.entry > .time").all_inner_texts()
    # "YYYY-MM-DD HH:MM", newest first (the frozen clock makes many entries share a minute)
    assert len(times) >= 2 and times[0] >= times[1], times
    assert times == sorted(times, reverse=True), times
    page.screenshot(path=tmp_path / "case-page.png", full_page=True)
