"""The modeler's guards in Chromium: text the 期限 panel refuses fails 校验 (and so 部署) instead of
passing on the old value; leaving with unsaved edits asks first; the palette leaves the lanes'
names visible and is absent from the read-only view; a .bpmn file can be imported."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ROOT
from tests.browser.test_mediation_browser import login, logout

pytestmark = pytest.mark.browser

PROCESS = "pre_litigation_mediation"


def _open(page: Page, process_id: str = PROCESS) -> None:
    page.goto(f"/processes/{process_id}/modeler")
    expect(page.locator("#modeler")).to_have_attribute("data-ready", "true")


def test_an_invalid_period_fails_validation_and_leaving_asks_first(browser_page: Page) -> None:
    page = browser_page
    login(page, "owner")
    _open(page)
    page.locator('#canvas g.djs-element[data-element-id="agency_reply_deadline"]').click()
    days = page.locator("#properties").get_by_label("天数 N")
    expect(days).to_have_value("3")
    days.fill("abc")
    expect(page.locator("#properties")).to_contain_text("请输入不小于 1 的整数")
    page.get_by_role("button", name="校验").click()
    problem = page.locator("#problems-list li.problem.error")
    expect(problem).to_contain_text("天数 N填写的“abc”无效")
    expect(page.locator("#modeler-status")).to_have_text("校验未通过")
    expect(page.get_by_role("button", name="部署")).to_be_disabled()

    # Deploying (after any other edit) validates again and still refuses.
    page.get_by_label("部署说明").fill("试图部署无效的期限")
    days.fill("abcd")
    page.get_by_role("button", name="校验").click()
    expect(page.get_by_role("button", name="部署")).to_be_disabled()
    days.fill("4")
    page.get_by_role("button", name="校验").click()
    expect(page.locator("#problems-summary")).to_have_text("校验通过：没有错误或警告")

    # The diagram changed and was not deployed: closing the page asks before it is lost.
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_event("dialog") if not dialogs else None
    assert dialogs == ["beforeunload"]


def test_the_palette_leaves_the_lane_names_visible_and_read_only_has_none(
    browser_page: Page,
) -> None:
    page = browser_page
    login(page, "owner")
    _open(page, "legality_review")
    palette = page.locator("#canvas .djs-palette").bounding_box()
    pool = page.locator('#canvas g.djs-element[data-element-id^="Participant_"]').first
    pool_box = pool.bounding_box()
    assert palette is not None and pool_box is not None
    assert pool_box["x"] >= palette["x"] + palette["width"], (palette, pool_box)
    logout(page)

    login(page, "bureau")  # reads models, does not deploy
    _open(page, "legality_review")
    expect(page.locator(".modeler-readonly")).to_be_visible()
    expect(page.locator("#canvas .djs-palette")).to_be_hidden()
    expect(page.locator("#import-file")).to_have_count(0)


def test_a_bpmn_file_is_imported_into_the_modeler(browser_page: Page) -> None:
    page = browser_page
    login(page, "owner")
    _open(page)
    original = (ROOT / "processes" / f"{PROCESS}.bpmn").read_text("utf-8")
    changed = original.replace("working_days(received(), 3)", "working_days(received(), 6)")
    assert changed != original
    page.locator("#import-file").set_input_files(
        files=[{"name": "mine.bpmn", "mimeType": "application/xml", "buffer": changed.encode()}]
    )
    expect(page.locator("#modeler-status")).to_contain_text("已导入 mine.bpmn")
    page.locator('#canvas g.djs-element[data-element-id="agency_reply_deadline"]').click()
    expect(page.locator("#properties").get_by_label("天数 N")).to_have_value("6")
    page.locator("#import-file").set_input_files(
        files=[{"name": "broken.bpmn", "mimeType": "application/xml", "buffer": b"<not-bpmn"}]
    )
    expect(page.locator("#modeler-status")).to_contain_text(re.compile("无法导入 broken.bpmn"))
