"""What a walk through the pages at 360, 1024 and 1920 px found, each kept fixed: nothing reaches
past the window's edge, no short label breaks over two lines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_mediation_browser import (
    REGISTER,
    complete_task,
    login,
    open_task_from_history,
    register_case,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def wide_page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1920, "height": 900}, locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )  # fmt: skip
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _lines(page: Page, selector: str) -> list[int]:
    """How many lines each element matching ``selector`` takes."""
    return page.locator(selector).evaluate_all(
        """els => els.map(e => {
          const s = getComputedStyle(e);
          const text = e.getBoundingClientRect().height - parseFloat(s.paddingTop)
            - parseFloat(s.paddingBottom) - parseFloat(s.borderTopWidth)
            - parseFloat(s.borderBottomWidth);
          return Math.round(text / parseFloat(s.lineHeight));
        })"""
    )


def test_dashboard_charts_follow_a_narrowed_window(wide_page: Page) -> None:
    page = wide_page
    login(page, "bureau")
    page.goto("/dashboard")
    charts = page.locator(".chart")
    for i in range(charts.count()):
        expect(charts.nth(i)).to_have_attribute("data-ready", "true")
    page.set_viewport_size({"width": 360, "height": 740})
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart svg')]"
        ".every(svg => svg.getBoundingClientRect().right <= window.innerWidth)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_diagram_legend_entries_stay_on_one_line_on_a_phone(wide_page: Page) -> None:
    page = wide_page
    login(page, "center")
    instance_id = register_case(page, "（2026）苏0813行诉前71号")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"/instances/{instance_id}")
    expect(page.locator(".legend li")).to_have_count(4)
    assert _lines(page, ".legend li") == [1, 1, 1, 1]


def test_a_documents_sha256_stays_inside_a_phone_screen(wide_page: Page) -> None:
    page = wide_page
    login(page, "center")
    instance_id = register_case(page, "（2026）苏0813行诉前72号")
    open_task_from_history(page, REGISTER)
    values = {"材料摘要": "起诉状、证据目录", "交办通知书文号": "洪调交〔2026〕72号"}
    complete_task(page, REGISTER, instance_id, values)
    page.set_viewport_size({"width": 360, "height": 740})
    document = page.locator("ul.documents li").first
    expect(document).to_contain_text("sha256")
    box = document.locator("code").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360


def test_save_draft_and_add_comment_are_buttons_as_large_as_submit(wide_page: Page) -> None:
    page = wide_page
    login(page, "center")
    register_case(page, "（2026）苏0813行诉前73号")
    open_task_from_history(page, REGISTER)
    submit = page.get_by_role("button", name="提交").bounding_box()
    assert submit is not None
    for name in ("暂存", "添加"):
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        # a browser-default button is about 21 px tall: too small a target beside 提交
        assert box is not None and box["height"] >= submit["height"] - 4, (name, box, submit)


# each label of a form and the control it names: the label's middle within the control's height
# (one line), and both inside the window
BESIDE = """form => [...form.querySelectorAll("label[for]")].map(label => {
  const field = document.getElementById(label.htmlFor);
  const l = label.getBoundingClientRect(), f = field.getBoundingClientRect();
  const middle = l.top + l.height / 2;
  return {label: label.textContent.trim(), beside: middle > f.top && middle < f.bottom,
          inside: Math.max(l.right, f.right) <= window.innerWidth};
})"""


@pytest.mark.parametrize("width", [1920, 1024, 360])
def test_each_audit_filter_stays_beside_its_field(wide_page: Page, width: int) -> None:
    page = wide_page
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "auditor")
    page.goto("/audit")
    pairs = page.locator("#audit-filter").evaluate(BESIDE)
    assert len(pairs) == 6
    apart = [p for p in pairs if not (p["beside"] and p["inside"])]
    assert not apart, apart


def test_each_substitute_field_stays_beside_its_label_on_a_phone(wide_page: Page) -> None:
    page = wide_page
    page.set_viewport_size({"width": 360, "height": 740})
    login(page, "gtzy")
    page.goto("/substitutes")
    pairs = page.locator("#substitute-form").evaluate(BESIDE)
    assert len(pairs) == 4
    apart = [p for p in pairs if not (p["beside"] and p["inside"])]
    assert not apart, apart


def test_the_inbox_filters_and_bulk_actions_keep_labels_beside_their_fields_on_a_phone(
    wide_page: Page,
) -> None:
    page = wide_page
    page.set_viewport_size({"width": 360, "height": 740})
    login(page, "center")  # the center may act on several tasks at once
    register_case(page, "（2026）苏0813行诉前75号")
    page.goto("/")
    for form in ("#inbox-filters", "#bulk-actions"):
        pairs = page.locator(form).evaluate(BESIDE)
        assert pairs, form
        apart = [p for p in pairs if not (p["beside"] and p["inside"])]
        assert not apart, (form, apart)


def test_a_tasks_small_forms_keep_labels_beside_their_fields_on_a_phone(wide_page: Page) -> None:
    page = wide_page
    login(page, "center")
    register_case(page, "（2026）苏0813行诉前74号")
    open_task_from_history(page, REGISTER)
    page.set_viewport_size({"width": 360, "height": 740})
    forms = page.locator("#deadline-actions form, #reassign form")
    expect(forms.first).to_be_visible()
    for i in range(forms.count()):
        pairs = forms.nth(i).evaluate(BESIDE)
        apart = [p for p in pairs if not (p["beside"] and p["inside"])]
        assert not apart, apart


@pytest.mark.parametrize(
    ("user", "path", "first", "refused"),
    [
        ("center", "/cases/new", "f-court_case_no", "f-plaintiff"),
        ("bureau", "/reconsiderations/new", "f-decision_no", "f-unit"),
        ("gtzy", "/password", "current_password", "new_password"),
    ],
)
def test_the_cursor_starts_in_the_first_field_and_returns_to_the_first_refused(
    wide_page: Page, user: str, path: str, first: str, refused: str
) -> None:
    page = wide_page
    login(page, user)
    page.goto(path)
    expect(page.locator(f"#{first}")).to_be_focused()
    page.locator(f"#{first}").fill("gtzy-Demo2026" if user == "gtzy" else "（2026）苏0813行初75号")
    page.evaluate(
        "document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))"
    )
    page.locator("main button[type=submit]").last.click()
    expect(page.locator(".field-error").first).to_be_visible()
    summary = page.locator(".error-summary")
    if summary.count():  # a refused form with a summary: it takes the cursor, then leads on
        expect(summary).to_be_focused()
        summary.locator("a").first.click()
        assert summary.locator("a").first.get_attribute("href") == f"#{refused}"
    else:
        expect(page.locator(f"#{refused}")).to_be_focused()


def test_version_history_headers_stay_on_one_line(wide_page: Page) -> None:
    page = wide_page
    page.set_viewport_size({"width": 1024, "height": 800})
    login(page, "owner")
    page.goto("/processes/legality_review/versions")
    expect(page.locator("#versions th")).to_have_count(9)
    assert set(_lines(page, "#versions th:not(:empty)")) == {1}
