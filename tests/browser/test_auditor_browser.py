"""An auditor opens an instance and sees its diagram marked by state, in Chromium."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import huajie_cli
from tests.helpers import CASE, FORM_DATA

pytestmark = pytest.mark.browser


def _api(base_url: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        base_url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_auditor_sees_completed_active_and_waiting_elements(
    browser_page: Page, live_server, tmp_path
):
    token = huajie_cli(live_server, "tokens", "create", "center").strip()
    created = _api(live_server, token, "POST", "/api/v1/cases", CASE)
    (task,) = _api(live_server, token, "GET", "/api/v1/tasks")
    _api(
        live_server, token, "POST", f"/api/v1/tasks/{task['id']}/complete",
        {"data": FORM_DATA["register_materials"]},
    )  # fmt: skip

    page = browser_page
    page.goto("/login")
    page.get_by_label("用户名").fill("auditor")
    page.get_by_label("密码").fill("auditor-Demo2026")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="流程实例").click()
    page.locator(f'#instances a[href="/instances/{created["instance_id"]}"]').click()

    diagram = page.locator("#diagram")
    expect(diagram).to_have_attribute("data-ready", "true")

    def marked(element_id: str):
        return page.locator(f'#diagram g.djs-element[data-element-id="{element_id}"]')

    expect(marked("start_received")).to_have_class(_has("state-completed"))
    expect(marked("register_materials")).to_have_class(_has("state-completed"))
    expect(marked("agency_reply")).to_have_class(_has("state-active"))
    expect(marked("agency_reply_deadline")).to_have_class(_has("state-waiting"))
    expect(marked("schedule_mediation")).not_to_have_class(_has("state-"))
    # the colours differ, and the legend names them
    fills = {
        state: marked(element)
        .locator(".djs-visual > :first-child")
        .evaluate("el => getComputedStyle(el).fill")
        for state, element in [
            ("completed", "register_materials"),
            ("active", "agency_reply"),
            ("waiting", "agency_reply_deadline"),
        ]
    }
    assert len(set(fills.values())) == 3, fills
    page.screenshot(path=tmp_path / "instance-auditor.png", full_page=True)
    legend = page.locator(".legend")
    for label in ("已完成", "办理中", "计时中（期限）", "已逾期"):
        expect(legend).to_contain_text(label)
    # read-only: the open task has no submit button for the auditor
    page.locator("#history").get_by_role("link", name="确定责任领导、联络人及初步调处方案").click()
    expect(page.get_by_role("button", name="提交")).to_have_count(0)


def _has(cls: str):
    import re

    return re.compile(rf"(^|\s){re.escape(cls)}")


def test_an_auditor_verifies_what_is_new_and_filters_the_log(browser_page: Page, live_server):
    page = browser_page
    page.goto("/login")
    page.get_by_label("用户名").fill("auditor")
    page.get_by_label("密码").fill("auditor-Demo2026")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="审计日志").click()
    state = page.locator("#chain-state")
    expect(state).to_contain_text("尚未校验过审计链")
    page.get_by_role("button", name="校验新增事件").click()
    # the page refreshes itself while the verification runs, then shows its result
    expect(state).to_contain_text("审计链完整", timeout=30_000)
    expect(state).to_contain_text("许静（洪泽区司法局）")  # who verified, by name
    expect(state).to_contain_text("签名检查点有效")
    page.get_by_label("操作", exact=True).select_option(label="登录")
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("#audit-events tbody tr")
    expect(rows.first).to_contain_text("登录")
    for text in rows.all_inner_texts():
        assert "登录" in text and "许静" in text
