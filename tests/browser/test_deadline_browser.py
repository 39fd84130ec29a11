"""中止 / 恢复 / 延长: the center manages an agency's running deadline, in Chromium.

The product clock is fixed at 2026-09-30 10:00 (Shanghai), so the agency's 3-working-day
reply deadline is 2026-10-10 (09-30 itself does not count; 10-01..10-07 are the holiday).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import huajie_cli
from tests.browser.test_auditor_browser import _api
from tests.browser.test_mediation_browser import REPLY, login, logout
from tests.helpers import CASE, FORM_DATA

pytestmark = pytest.mark.browser

REASON = "当事人住院治疗"


def _agency_task_row(page: Page):
    return page.locator("#inbox tbody tr", has_text=REPLY)


def _deadline_action(page: Page, button: str, reason: str, days: str | None = None) -> None:
    page.locator("#deadline-reason").fill(reason)
    if days is not None:
        page.locator("#deadline-days").fill(days)
    page.locator("#deadline-actions").get_by_role("button", name=button).click()


def test_center_suspends_and_resumes_an_agency_deadline(browser_page: Page, live_server, tmp_path):
    token = huajie_cli(live_server, "tokens", "create", "center").strip()
    created = _api(live_server, token, "POST", "/api/v1/cases", CASE)
    (task,) = _api(live_server, token, "GET", "/api/v1/tasks")
    _api(
        live_server, token, "POST", f"/api/v1/tasks/{task['id']}/complete",
        {"data": FORM_DATA["register_materials"]},
    )  # fmt: skip
    instance_url = f"/instances/{created['instance_id']}"

    page = browser_page
    login(page, "center")
    page.goto(instance_url)
    page.locator("#history").get_by_role("link", name=REPLY).click()
    expect(page.get_by_role("heading", name=REPLY)).to_be_visible()
    task_url = page.url
    due = page.locator("p.deadline:not(#deadline-state)")
    state = page.locator("#deadline-state")
    flash = page.locator(".flash")
    expect(due).to_contain_text("截止 2026-10-10")

    # An empty reason: the browser would block it (required); bypass that to see the server's
    # answer, which must be a Chinese error and leave the deadline running.
    reason = page.locator("#deadline-reason")
    expect(reason).to_have_attribute("required", "")
    reason.evaluate("el => el.removeAttribute('required')")
    _deadline_action(page, "中止期限", "")
    expect(flash).to_have_text(re.compile("请填写理由|必填"))
    expect(state).to_have_count(0)
    expect(due).to_contain_text("截止 2026-10-10")

    # 中止: suspended on 09-30, so 10-08, 10-09 and 10-10 are left
    _deadline_action(page, "中止期限", REASON)
    expect(flash).to_have_text("期限已中止")
    expect(state).to_contain_text("期限中止")
    expect(state).to_contain_text(REASON)
    expect(state).to_contain_text("恢复后剩余 3 个工作日")
    expect(due).to_have_count(0)
    page.screenshot(path=tmp_path / "task-suspended.png", full_page=True)

    logout(page)
    login(page, "gtzy")
    row = _agency_task_row(page)
    expect(row.locator("td").nth(2)).to_have_text("期限中止")
    expect(row.locator("td").nth(2)).not_to_contain_text("2026-")
    logout(page)

    # 恢复 on the same day: the 3 working days count again from 09-30
    login(page, "center")
    page.goto(task_url)
    _deadline_action(page, "恢复期限", "当事人已出院")
    expect(flash).to_have_text("期限已恢复")
    expect(state).to_have_count(0)
    expect(due).to_contain_text("截止 2026-10-10")
    expect(due.locator(".why")).to_contain_text("中止")
    expect(due.locator(".why")).to_contain_text("恢复")

    # 延长 2 working days after 10-10: 10-12, 10-13
    _deadline_action(page, "延长期限", "材料较多", days="2")
    expect(flash).to_have_text("期限已延长")
    expect(due).to_contain_text("截止 2026-10-13")
    expect(due.locator(".why")).to_contain_text("延长 2 个工作日")
    logout(page)

    login(page, "gtzy")
    expect(_agency_task_row(page).locator("td").nth(2)).to_have_text("2026-10-13")
    logout(page)

    login(page, "center")
    page.goto(instance_url)
    events = page.locator("ol.events")
    for sentence in (f"中止了“{REPLY}”的期限", f"恢复了“{REPLY}”的期限", f"将“{REPLY}”的期限延长"):
        expect(events).to_contain_text(sentence)
