"""Mechanism 2 (重大执法决定法制审核) driven through the real UI in Chromium.

未经法制审核或者审核未通过的，不得作出决定: the agency head gets no 作出重大执法决定 task
until the designated legality reviewer has passed the draft.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.test_mediation_browser import FormValues, fill_form, login, logout

pytestmark = pytest.mark.browser

PROCESS = "重大执法决定法制审核"
DRAFT = "提交拟作决定及法制审核材料"
REVIEW = "法制审核"
REVISE = "按审核意见修改"
DECIDE = "作出重大执法决定"

DRAFT_VALUES: FormValues = {
    "决定事项": "对洪泽某建材有限公司非法占用耕地作出行政处罚",
    "行政相对人": "洪泽某建材有限公司",
    "事实、证据及法律依据": (
        "经查，该公司未经批准占用集体耕地12亩建设堆场，有现场勘测笔录、询问笔录等证据证实；"
        "依据《中华人民共和国土地管理法》第七十七条。"
    ),
    "拟作决定内容": "责令退还非法占用的土地，拆除新建建筑物和其他设施，并处罚款二十四万元。",
}


# --- helpers ---------------------------------------------------------------------------


def inbox_link(page: Page, instance_id: int, task_name: str) -> Locator:
    """The link to the named task in this instance's inbox rows."""
    row = page.locator("#inbox tr[data-task-id]").filter(
        has=page.locator(f'a[href="/instances/{instance_id}"]')
    )
    return row.get_by_role("link", name=task_name, exact=True)


def history_rows(page: Page, task_name: str) -> Locator:
    """The instance page's history rows of the named task (not the submitted-data rows)."""
    return page.locator("#history tbody tr:not(.submitted)").filter(
        has=page.get_by_role("cell", name=task_name, exact=True)
    )


def submit(page: Page, task_name: str, instance_id: int) -> None:
    page.get_by_role("button", name="提交").click()
    expect(page).to_have_url(re.compile(rf"/instances/{instance_id}$"))
    expect(page.get_by_role("status")).to_have_text(f"“{task_name}”已提交")
    expect(history_rows(page, task_name).last).to_contain_text("已办结")


def open_from_inbox(page: Page, instance_id: int, task_name: str) -> None:
    page.get_by_role("link", name="待办", exact=True).click()
    inbox_link(page, instance_id, task_name).click()
    expect(page.get_by_role("heading", name=task_name)).to_be_visible()


def work_from_inbox(page: Page, instance_id: int, task_name: str, values: FormValues) -> None:
    open_from_inbox(page, instance_id, task_name)
    fill_form(page, values)
    submit(page, task_name, instance_id)


def expect_no_decision_for_head(page: Page, instance_id: int, screenshot: Path) -> None:
    """The head's inbox offers no decision, and the instance has no decision task at all."""
    login(page, "gtzy_head")
    expect(page.get_by_role("link", name=DECIDE)).to_have_count(0)
    page.screenshot(path=screenshot, full_page=True)
    page.goto(f"/instances/{instance_id}")
    expect(page.locator("#instance-status")).to_have_text("进行中")
    expect(history_rows(page, DECIDE)).to_have_count(0)
    logout(page)


# --- the walk --------------------------------------------------------------------------


def test_major_decision_is_impossible_until_the_legal_review_passes(
    browser_page: Page, tmp_path: Path
) -> None:
    page = browser_page
    pdf = tmp_path / "拟作决定书.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

    # 1. The agency starts the process and submits the draft with its materials.
    login(page, "gtzy")
    page.get_by_role("link", name="发起流程").click()
    expect(page.get_by_role("heading", name="发起流程")).to_be_visible()
    card = page.locator(".start-list li").filter(has_text=PROCESS)
    expect(card).to_have_count(1)
    card.locator('button[data-process="major_enforcement_decision"]').click()

    expect(page.get_by_role("heading", name=DRAFT)).to_be_visible()
    instance_link = page.get_by_role("link", name=re.compile(rf"^{PROCESS} #\d+$"))
    match = re.search(r"#(\d+)$", instance_link.inner_text())
    assert match is not None
    instance_id = int(match.group(1))
    fill_form(page, DRAFT_VALUES)
    page.set_input_files("#f-materials", [pdf])
    submit(page, DRAFT, instance_id)
    expect(page.locator("#instance-status")).to_have_text("进行中")
    expect(history_rows(page, REVIEW)).to_contain_text("办理中")
    expect(page.locator("#history")).to_contain_text(pdf.name)
    logout(page)

    # 2. Not reviewed yet: the head cannot decide.
    expect_no_decision_for_head(page, instance_id, tmp_path / "inbox-head-unreviewed.png")

    # 3. The designated reviewer fails the draft.
    login(page, "gtzy_reviewer")
    work_from_inbox(
        page,
        instance_id,
        REVIEW,
        {
            "审核未通过": True,
            "审核意见": "未告知当事人要求听证的权利，程序不合法，请补正后重新提交审核。",
            "审核人": "钱敏",
        },
    )
    expect(history_rows(page, REVISE)).to_contain_text("办理中")
    logout(page)

    # 4. Failed review: still no decision; the agency revises and resubmits.
    expect_no_decision_for_head(page, instance_id, tmp_path / "inbox-head-failed.png")
    login(page, "gtzy")
    expect(inbox_link(page, instance_id, REVISE)).to_be_visible()
    open_from_inbox(page, instance_id, REVISE)
    expect(page.get_by_label("不再作出该决定")).not_to_be_checked()  # resubmit, not abandon
    fill_form(
        page,
        {
            "修改说明": "已向当事人送达行政处罚听证告知书，告知期满当事人未申请听证。",
            "修改后的拟作决定": DRAFT_VALUES["拟作决定内容"],
        },
    )
    submit(page, REVISE, instance_id)
    expect(history_rows(page, REVIEW).last).to_contain_text("办理中")  # back to review
    logout(page)

    # 5. The second review passes.
    login(page, "gtzy_reviewer")
    work_from_inbox(
        page,
        instance_id,
        REVIEW,
        {
            "审核通过": True,
            "审核意见": "已依法告知听证权利，当事人未申请听证，程序合法，同意作出决定。",
            "审核人": "钱敏",
        },
    )
    logout(page)

    # 6. Only now does the head get the decision; both review rounds stay on record.
    login(page, "gtzy_head")
    expect(inbox_link(page, instance_id, DECIDE)).to_be_visible()
    work_from_inbox(
        page,
        instance_id,
        DECIDE,
        {
            "决定书文号": "洪自然资罚决〔2026〕12号",
            "决定内容": "责令退还非法占用的土地，十五日内拆除新建建筑物，并处罚款二十四万元。",
        },
    )
    expect(page.locator("#instance-status")).to_have_text("已办结")
    expect(history_rows(page, REVIEW)).to_have_count(2)
    for row in history_rows(page, REVIEW).all():
        expect(row).to_contain_text("已办结")
    expect(history_rows(page, REVISE)).to_have_count(1)
    expect(history_rows(page, DECIDE)).to_contain_text("已办结")
    expect(page.locator("#history").get_by_role("link")).to_have_count(0)  # no open task left
    page.screenshot(path=tmp_path / "instance-decided.png", full_page=True)
