"""The process owner changes mechanism 4's agency deadline in the web modeler, in Chromium.

The product clock is fixed at 2026-09-30 10:00 (Shanghai). A case registered before the deploy
keeps its 3-working-day reply deadline; one registered after gets 5 working days. The expected
dates come from the app's own calendar.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from app.engine import parse_bpmn
from app.workdays import WorkCalendar
from tests.browser.test_mediation_browser import (
    REGISTER,
    REPLY,
    complete_task,
    login,
    logout,
    open_task_from_history,
    register_case,
)

pytestmark = pytest.mark.browser

PROCESS = "pre_litigation_mediation"
NOTICE_DATE = date(2026, 9, 30)
FORM = "pre_litigation_mediation/agency_reply.schema.json"


def _register_case(page: Page, court_case_no: str) -> int:
    """The center registers a court-referred case and sends the notice; returns the instance."""
    instance_id = register_case(page, court_case_no)
    open_task_from_history(page, REGISTER)
    complete_task(
        page,
        REGISTER,
        instance_id,
        {
            "材料摘要": "起诉状、证据目录",
            "交办通知书文号": f"洪调交〔2026〕{instance_id}号",
        },
    )
    return instance_id


def _reply_due(page: Page, instance_id: int):
    page.goto(f"/instances/{instance_id}")
    row = page.locator("#history tbody tr").filter(has_text=REPLY)
    return row.locator("td").nth(3)


def test_owner_changes_the_agency_deadline_and_only_new_cases_follow(
    browser_page: Page, tmp_path
) -> None:
    page = browser_page
    calendar = WorkCalendar()
    three = calendar.add_working_days(NOTICE_DATE, 3).due_date.isoformat()
    five = calendar.add_working_days(NOTICE_DATE, 5).due_date.isoformat()
    assert three != five

    # A case that is running before the change: its agency must reply within 3 working days.
    login(page, "center")
    older = _register_case(page, "（2026）苏0813行诉前21号")
    expect(_reply_due(page, older)).to_have_text(three)
    logout(page)

    # The process owner opens mechanism 4 in the modeler from the processes page.
    login(page, "owner")
    page.get_by_role("link", name="发起流程").click()
    page.locator(f'#modelable tr[data-process="{PROCESS}"]').get_by_role(
        "link", name="打开建模器"
    ).click()
    expect(page).to_have_url(re.compile(rf"/processes/{PROCESS}/modeler$"))
    expect(page.locator("#modeler")).to_have_attribute("data-ready", "true")
    expect(page.locator("#version")).to_have_text("第 1 版")
    palette = page.locator(".djs-palette")
    expect(palette.get_by_role("button", name="创建开始事件")).to_be_visible()  # Chinese labels

    # Select the agency's task: its panel shows the form, the lane's unit and the deadline.
    page.locator('#canvas g.djs-element[data-element-id="agency_reply"]').click()
    panel = page.locator("#properties")
    expect(panel.locator(".bio-properties-panel-header-type")).to_have_text("用户任务")
    expect(panel.get_by_label("表单（JSON Schema）")).to_have_value(FORM)
    expect(panel.locator('[data-entry-id="huajie-lane"]')).to_contain_text("案涉行政机关")
    expect(panel.get_by_label("期限类型")).to_have_value("working")
    expect(panel.get_by_label("起算事件", exact=True)).to_have_value("received()")
    days = panel.get_by_label("天数 N")
    expect(days).to_have_value("3")
    preview = panel.locator(".huajie-preview")
    preview.get_by_label(re.compile("预览")).fill(NOTICE_DATE.isoformat())
    expect(preview.locator(".huajie-due")).to_have_text(f"截止 {three}")

    # A task without a form is an error, listed and marked on the diagram; deploy is blocked.
    panel.get_by_label("表单（JSON Schema）").select_option("")
    page.get_by_role("button", name="校验").click()
    problem = page.locator('#problems-list li.problem.error[data-element-id="agency_reply"]')
    expect(problem).to_contain_text("用户任务没有指定表单")
    expect(page.locator('#canvas g.djs-element[data-element-id="agency_reply"]')).to_have_class(
        re.compile("huajie-problem-error")
    )
    expect(page.locator('.huajie-problem-badge[data-element-id="agency_reply"]')).to_be_visible()
    expect(page.get_by_role("button", name="部署")).to_be_disabled()
    page.screenshot(path=tmp_path / "modeler-validation-error.png", full_page=True)

    # Put the form back and change 3 -> 5 working days; the preview follows.
    panel.get_by_label("表单（JSON Schema）").select_option(FORM)
    days.fill("5")
    expect(preview.locator(".huajie-due")).to_have_text(f"截止 {five}")
    expect(preview).to_contain_text("5 个工作日")
    # Who reads what the task holds: ``readers``, checked against the product's vocabulary.
    readers = panel.get_by_label("读取范围")
    entry = panel.locator('[data-entry-id="huajie-readers"]')
    readers.fill("own_unit,everyone")
    expect(entry).to_contain_text("未知的读取范围：everyone")
    readers.fill("own_unit,center,bureau")
    expect(entry).to_contain_text("可查看本任务内容：承办本任务的单位（全体人员）、区调处中心")
    page.get_by_role("button", name="校验").click()
    expect(page.locator("#problems-summary")).to_have_text("校验通过：没有错误或警告")
    expect(page.locator("#canvas g.huajie-problem-error")).to_have_count(0)
    label = page.locator('#canvas g[data-element-id="agency_reply_deadline_label"]')
    expect(label).to_have_text("答复期限（5个工作日）")  # the timer's label follows
    page.screenshot(path=tmp_path / "modeler-five-days.png", full_page=True)

    # Deploying needs a reason; with one it stores version 2.
    page.get_by_role("button", name="部署").click()
    expect(page.locator("#modeler-status")).to_have_text("请填写部署说明（为何修改）")
    page.get_by_label("部署说明").fill("答复期限延长为5个工作日")
    page.get_by_role("button", name="部署").click()
    expect(page.locator("#modeler-status")).to_contain_text("已部署为第 2 版")
    expect(page.locator("#version")).to_have_text("第 2 版")

    # The downloaded file is what the engine reads: the form property and the new expression.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="下载 .bpmn").click()
    download = download_info.value
    assert download.suggested_filename == f"{PROCESS}.bpmn"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    parsed = parse_bpmn(saved.read_bytes(), saved.name)
    (reply,) = [t for t in parsed.user_tasks if t.bpmn_id == "agency_reply"]
    assert reply.properties["formJsonSchemaFilename"] == FORM
    assert reply.properties["readers"] == "own_unit,center,bureau"
    assert [t.expression for t in reply.timers] == ["working_days(received(), 5)"]

    # Reopening the modeler loads what was deployed.
    page.reload()
    expect(page.locator("#modeler")).to_have_attribute("data-ready", "true")
    expect(page.locator("#version")).to_have_text("第 2 版")
    page.locator('#canvas g.djs-element[data-element-id="agency_reply_deadline"]').click()
    expect(panel.get_by_label("天数 N")).to_have_value("5")
    logout(page)

    # A new case gets 5 working days; the older one keeps its 3.
    login(page, "center")
    newer = _register_case(page, "（2026）苏0813行诉前22号")
    expect(_reply_due(page, newer)).to_have_text(five)
    expect(_reply_due(page, older)).to_have_text(three)
