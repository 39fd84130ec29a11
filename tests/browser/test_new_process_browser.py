"""A process owner's new process from the blank template, in Chromium: its one task comes with
a default form (办理意见), so 校验 passes and it deploys; a task left without a form is offered
创建默认表单; the process then starts and its task shows the form."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_mediation_browser import login, logout

pytestmark = pytest.mark.browser


def test_a_blank_new_process_validates_deploys_and_its_task_shows_a_form(
    browser_page: Page,
) -> None:
    page = browser_page
    login(page, "owner")
    page.goto("/processes")
    page.get_by_label("流程 ID").fill("town_hearing")
    page.get_by_label("流程名称").fill("乡镇听证")
    page.get_by_role("button", name="在建模器中打开").click()
    expect(page.locator("#modeler")).to_have_attribute("data-ready", "true")
    page.get_by_role("button", name="校验").click()
    expect(page.locator("#problems-summary")).to_have_text("校验通过：没有错误或警告")

    # a task without a form: 校验 says so, and the panel offers the default one
    page.locator('#canvas g.djs-element[data-element-id="first_task"]').click()
    panel = page.locator("#properties")
    panel.get_by_label("表单（JSON Schema）").select_option("")
    page.get_by_role("button", name="校验").click()
    expect(page.locator("#problems-list li.problem.error")).to_contain_text("用户任务没有指定表单")
    panel.get_by_role("button", name="创建默认表单（办理意见）").click()
    expect(panel.get_by_label("表单（JSON Schema）")).to_have_value(
        "town_hearing/first_task.schema.json"
    )
    page.get_by_role("button", name="校验").click()
    expect(page.locator("#problems-summary")).to_have_text("校验通过：没有错误或警告")
    page.get_by_label("部署说明").fill("新建乡镇听证流程")
    page.get_by_role("button", name="部署").click()
    expect(page.locator("#version")).to_have_text("第 1 版")
    logout(page)

    login(page, "center")  # the blank template's lane: 区调处中心
    page.goto("/processes")
    page.locator('button[data-process="town_hearing"]').click()
    opinion = page.get_by_label("办理意见")
    expect(opinion).to_be_visible()
    assert opinion.evaluate("e => e.tagName") == "TEXTAREA"
    opinion.fill("已通知各方参加听证。")
    page.get_by_role("button", name="提交").click()
    expect(page.locator("body")).to_contain_text("已提交")
