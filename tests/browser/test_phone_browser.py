"""A phone (360 px wide) in Chromium: the inbox, a task page with its form and the case page
fit the screen (nothing wider than the page), the rows of the inbox, the case and instance lists
and the 办理记录 are cards whose process, due date and link show without scrolling sideways, and
the form can be filled and submitted; at
1024 px the navigation stays one line per link, never one character per line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.test_mediation_browser import (
    REGISTER,
    REPLY,
    SCHEDULE,
    complete_task,
    inbox_row,
    login,
    logout,
    open_task_from_history,
    open_task_from_inbox,
    register_case,
    submit_task,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server, viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
        is_mobile=True, has_touch=True, device_scale_factor=2,
    )  # fmt: skip
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


# the elements reaching past the right edge of the window, for the failure message
WIDER = """() => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .slice(0, 5).map((e) => e.tagName + "." + e.className + "#" + e.id)"""


def _fits(page: Page) -> None:
    """No horizontal scrolling of the page itself (a wide table scrolls inside its box); once
    any diagram on the page has been drawn (the viewer marks its box ready)."""
    expect(page.locator("[data-src]:not([data-ready])")).to_have_count(0)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (
        f"{page.url} is {overflow} px wider than the phone: {page.evaluate(WIDER)}"
    )


def _on_screen(locator: Locator) -> None:
    """Shown within the phone's width: read without scrolling sideways."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def _stacked(page: Page, table: str) -> None:
    """The table's rows are cards: nothing in it scrolls sideways."""
    hidden = page.evaluate(
        f"(t => t.scrollWidth - t.clientWidth)(document.querySelector('{table}'))"
    )
    assert hidden <= 0, f"{table} scrolls {hidden} px sideways"


def test_inbox_task_page_and_case_page_work_on_a_phone(phone: Page, tmp_path) -> None:
    page = phone
    login(page, "center")
    _fits(page)
    header = page.locator("header.topbar").bounding_box()
    assert header is not None and header["height"] < PHONE["height"] / 4  # a compact header
    instance_id = register_case(page, "（2026）苏0813行诉前88号")
    _fits(page)
    open_task_from_history(page, REGISTER)
    complete_task(
        page, REGISTER, instance_id,
        {"材料摘要": "起诉状、证据目录", "交办通知书文号": f"洪调交〔2026〕{instance_id}号"},
    )  # fmt: skip
    logout(page)

    login(page, "gtzy")
    row = inbox_row(page, instance_id)
    expect(row).to_be_visible()
    _fits(page)
    _stacked(page, "#inbox")
    expect(row.locator("td.process")).to_have_text("法院诉前移送调处")
    for cell in ("td.process", "td.due", f'td.task a:text("{REPLY}")'):
        _on_screen(row.locator(cell))
    expect(row.locator("td.due")).to_contain_text("2026-10-")  # its due date
    page.screenshot(path=tmp_path / "phone-inbox.png", full_page=True)
    open_task_from_inbox(page, instance_id, REPLY)
    _fits(page)
    first = page.locator("form [data-autofocus]").first
    expect(first).to_be_focused()
    submit = page.get_by_role("button", name="提交")
    submit.scroll_into_view_if_needed()
    box = submit.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    submit.click()  # nothing filled: refused, the summary on top names the fields
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("责任领导")
    _fits(page)
    page.screenshot(path=tmp_path / "phone-task-refused.png", full_page=True)
    for name, value in (
        ("responsible_leader", "赵刚"), ("leader_title", "局长"), ("liaison", "刘洋"),
        ("liaison_phone", "0517-87221234"), ("preliminary_plan", "复核补偿标准，约谈当事人"),
    ):  # fmt: skip
        page.locator(f"#f-{name}").fill(value)
    submit_task(page, REPLY, instance_id)
    _fits(page)

    page.goto(f"/instances/{instance_id}")
    page.locator("#case-link").click()
    expect(page.get_by_role("heading").first).to_be_visible()
    _fits(page)
    page.screenshot(path=tmp_path / "phone-case.png", full_page=True)
    logout(page)

    # The center's next task has a checkbox: it sits beside its label, on the same line.
    login(page, "center")
    page.goto("/instances")
    listed = page.locator(f'#instances tr[data-instance-id="{instance_id}"]')
    _stacked(page, "#instances")
    expect(listed.locator("td.process")).to_contain_text("法院诉前移送调处")
    _on_screen(listed.locator("td.process"))
    _on_screen(listed.get_by_role("link", name=str(instance_id)))
    _fits(page)
    page.goto("/cases")
    _stacked(page, "#cases")
    _on_screen(page.locator("#cases").get_by_role("link", name="（2026）苏0813行诉前88号"))
    _fits(page)
    page.goto(f"/instances/{instance_id}")
    _stacked(page, "#history")
    open_step = page.locator("#history").get_by_role("link", name=SCHEDULE)
    _on_screen(open_step)
    _fits(page)
    page.goto("/")
    open_task_from_inbox(page, instance_id, SCHEDULE)
    box = page.locator("#f-parties_informed").bounding_box()
    label = page.locator('label[for="f-parties_informed"]').bounding_box()
    assert box is not None and label is not None
    assert 0 <= label["x"] - (box["x"] + box["width"]) <= 16, (box, label)
    assert abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 12
    _fits(page)


def test_the_navigation_keeps_whole_words_at_1024_px(browser: Browser, live_server: str) -> None:
    context = browser.new_context(base_url=live_server, viewport={"width": 1024, "height": 768})
    try:
        page = context.new_page()
        login(page, "admin")  # the most links
        for link in page.locator("header nav a").all():
            box = link.bounding_box()
            assert box is not None and box["height"] < 30, link.inner_text()  # one line
        _fits(page)
    finally:
        context.close()
