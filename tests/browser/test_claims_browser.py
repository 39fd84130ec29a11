"""Two colleagues on one task, in Chromium: 认领 seen by the other, 接手, a late submission that
keeps its typing and names who completed the task, 暂存 across a reload, inbox filters.

The agency's reply task of mechanism 4 belongs to 洪泽区自然资源和规划局, where ``gtzy`` (刘洋)
and ``gtzy_reviewer`` (钱敏) may both do it.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import free_port, huajie_cli, init_demo, serving
from tests.browser.test_auditor_browser import _api
from tests.browser.test_mediation_browser import REPLY, login
from tests.helpers import CASE, FORM_DATA

pytestmark = pytest.mark.browser

REVIEWER = "钱敏（洪泽区自然资源和规划局）"
LIAISON = "刘洋（洪泽区自然资源和规划局）"
TYPED = {"负责化解工作的责任领导": "赵刚", "职务": "局长", "行政争议化解联络人": "刘洋"}


def _reply_task(base_url: str, case_no: str) -> int:
    """Register a court-referred case for GTZY and do the center's step: the agency's reply
    task is then open. Its id."""
    token = huajie_cli(base_url, "tokens", "create", "center").strip()
    created = _api(base_url, token, "POST", "/api/v1/cases", {**CASE, "court_case_no": case_no})
    instance = _api(base_url, token, "GET", f"/api/v1/instances/{created['instance_id']}")
    (register,) = [t for t in instance["tasks"] if t["status"] == "open"]
    _api(
        base_url, token, "POST", f"/api/v1/tasks/{register['id']}/complete",
        {"data": FORM_DATA["register_materials"]},
    )  # fmt: skip
    instance = _api(base_url, token, "GET", f"/api/v1/instances/{created['instance_id']}")
    (reply,) = [t for t in instance["tasks"] if t["status"] == "open"]
    return reply["id"]


@pytest.fixture
def colleague_page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A second person's browser."""
    context = browser.new_context(base_url=live_server, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _fill(page: Page, values: dict[str, str]) -> None:
    for label, value in values.items():
        page.get_by_label(label).fill(value)


def test_a_colleague_sees_the_claim_and_takes_it_over_with_a_reason(
    browser_page: Page, colleague_page: Page, live_server: str
) -> None:
    task_id = _reply_task(live_server, "（2026）苏0813行诉前71号")
    mine, theirs = browser_page, colleague_page
    login(mine, "gtzy")
    mine.goto(f"/tasks/{task_id}")
    expect(mine.locator("#claim-state")).to_contain_text("尚无人认领")
    mine.locator("#claim").get_by_role("button", name="认领").click()
    expect(mine.locator(".flash")).to_contain_text("已认领")
    expect(mine.locator("#claim-state")).to_contain_text("您已于 2026-09-30 10:00 认领")

    login(theirs, "gtzy_reviewer")
    theirs.get_by_label("搜索").fill("行诉前71号")
    theirs.get_by_role("button", name="筛选").click()
    row = theirs.locator("#inbox tr[data-task-id]")
    expect(row).to_have_count(1)
    expect(row.locator("td.claimant")).to_have_text(LIAISON)
    row.get_by_role("link", name=REPLY).click()
    expect(theirs.locator("#claim-state")).to_contain_text(f"{LIAISON} 已于 2026-09-30 10:00 认领")
    expect(theirs.get_by_role("button", name="提交")).to_have_count(0)
    theirs.get_by_label("接手理由").fill("刘洋外出培训")
    theirs.get_by_role("button", name="接手").click()
    expect(theirs.locator(".flash")).to_contain_text("已接手")
    expect(theirs.get_by_role("button", name="提交")).to_be_visible()

    mine.reload()
    expect(mine.locator("#claim-state")).to_contain_text(f"{REVIEWER} 已于")
    expect(mine.get_by_role("button", name="提交")).to_have_count(0)
    expect(mine.locator("#unread-count")).to_have_text("1")


def test_a_late_submission_keeps_the_typing_and_names_who_completed(
    browser_page: Page, colleague_page: Page, live_server: str
) -> None:
    task_id = _reply_task(live_server, "（2026）苏0813行诉前72号")
    mine, theirs = browser_page, colleague_page
    login(mine, "gtzy")
    mine.goto(f"/tasks/{task_id}")
    _fill(mine, {**TYPED, "联系电话": "0517-87229999", "初步调处意向方案": "先行约谈原告"})

    login(theirs, "gtzy_reviewer")
    theirs.goto(f"/tasks/{task_id}")
    _fill(theirs, {**TYPED, "联系电话": "0517-87221234", "初步调处意向方案": "复核补偿标准"})
    theirs.get_by_role("button", name="提交").click()
    expect(theirs.locator(".flash")).to_contain_text("已提交")

    mine.get_by_role("button", name="提交").click()
    expect(mine.locator("#conflict")).to_contain_text(
        f"该任务已由{REVIEWER}于 2026-09-30 10:00 提交办结"
    )
    expect(mine.get_by_label("联系电话")).to_have_value("0517-87229999")
    expect(mine.get_by_label("初步调处意向方案")).to_have_value("先行约谈原告")
    expect(mine.get_by_role("button", name="提交")).to_have_count(0)


def test_a_draft_survives_a_reload(browser_page: Page, live_server: str) -> None:
    task_id = _reply_task(live_server, "（2026）苏0813行诉前73号")
    page = browser_page
    login(page, "gtzy")
    page.goto(f"/tasks/{task_id}")
    _fill(page, {"行政争议化解联络人": "刘洋", "初步调处意向方案": "拟约谈原告，复核补偿标准"})
    page.get_by_role("button", name="暂存").click()  # required fields still empty: kept anyway
    expect(page.locator(".flash")).to_contain_text("已暂存")
    page.reload()
    expect(page.locator("#draft-restored")).to_contain_text("已恢复您于 2026-09-30 10:00 暂存")
    expect(page.get_by_label("行政争议化解联络人")).to_have_value("刘洋")
    expect(page.get_by_label("初步调处意向方案")).to_have_value("拟约谈原告，复核补偿标准")
    expect(page.get_by_label("负责化解工作的责任领导")).to_have_value("")


def test_inbox_filters_overdue_tasks_and_finds_a_case_by_number(browser: Browser, tmp_path) -> None:
    """One reply registered on 09-30 (due 10-10), the server started again on 10-12 and a
    second reply registered then: only the first is overdue."""
    env = init_demo(tmp_path)
    port = free_port()
    late_no, fresh_no = "（2026）苏0813行诉前81号", "（2026）苏0813行诉前82号"
    with serving(tmp_path, env, port) as base_url:
        late = _reply_task(base_url, late_no)
    later = {**env, "HUAJIE_NOW": "2026-10-12T10:00:00+08:00"}
    with serving(tmp_path, later, port) as base_url:
        fresh = _reply_task(base_url, fresh_no)
        context = browser.new_context(
            base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            login(page, "gtzy")
            rows = page.locator("#inbox tr[data-task-id]")
            expect(page.locator(f'#inbox tr[data-task-id="{fresh}"]')).to_have_count(1)
            page.get_by_label("已逾期").check()
            page.get_by_role("button", name="筛选").click()
            expect(page.locator(f'#inbox tr[data-task-id="{late}"]')).to_have_count(1)
            expect(page.locator(f'#inbox tr[data-task-id="{fresh}"]')).to_have_count(0)
            for i in range(rows.count()):
                expect(rows.nth(i).locator(".tag.overdue")).to_have_text("已逾期")
            expect(page.get_by_label("已逾期")).to_be_checked()

            page.goto("/?q=" + quote("(2026)苏0813行诉前82号"))  # half-width brackets
            expect(rows).to_have_count(1)
            expect(rows.first).to_have_attribute("data-task-id", str(fresh))
            expect(rows.first.locator("td.process")).to_have_text("法院诉前移送调处")
            expect(page.locator("#inbox-counts")).to_contain_text("待办 1 件")
        finally:
            context.close()
