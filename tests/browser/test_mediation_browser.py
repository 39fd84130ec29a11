"""Mechanism 4 (法院诉前移送调处) driven through the real UI in Chromium.

The product clock is fixed at 2026-09-30 10:00 (Shanghai), the day before the National Day
holiday, so the agency's 3-working-day reply deadline falls on the make-up Saturday 2026-10-10.
"""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.browser

CASE = {
    "court_case_no": "（2026）苏0813行诉前12号",
    "plaintiff": "张某某",
    "subject": "不服土地征收补偿决定",
    "claims": "撤销补偿决定，重新作出",
    "court": "洪泽区人民法院",
}
AGENCY = "洪泽区自然资源和规划局"

REGISTER = "登记材料并发送交办通知书"
REPLY = "确定责任领导、联络人及初步调处方案"
SCHEDULE = "确定调处时间地点并告知各方"
OUTCOME = "记录调处结果"
SIGN = "制作调处协议并签字确认"

FormValues = dict[str, str | bool | list[str]]


# --- helpers ---------------------------------------------------------------------------


def login(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(f"{username}-Demo2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="本单位待办任务")).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_have_count(0)


def fill_form(page: Page, values: FormValues) -> None:
    """Fill fields by their visible label (the label also holds the required "*" mark).

    True checks a checkbox or radio option, a list fills a one-item-per-line textarea.
    """
    for label, value in values.items():
        field = page.get_by_label(label)
        if value is True:
            field.check()
        elif isinstance(value, list):
            field.fill("\n".join(value))
        else:
            field.fill(value)


def inbox_row(page: Page, instance_id: int) -> Locator:
    """The inbox rows that belong to the given process instance."""
    link = page.locator(f'a[href="/instances/{instance_id}"]')
    return page.locator("#inbox tr[data-task-id]").filter(has=link)


def open_task_from_history(page: Page, task_name: str) -> None:
    page.locator("#history").get_by_role("link", name=task_name).click()
    expect(page.get_by_role("heading", name=task_name)).to_be_visible()


def open_task_from_inbox(page: Page, instance_id: int, task_name: str) -> None:
    inbox_row(page, instance_id).get_by_role("link", name=task_name).click()
    expect(page.get_by_role("heading", name=task_name)).to_be_visible()


def submit_task(page: Page, task_name: str, instance_id: int) -> None:
    page.get_by_role("button", name="提交").click()
    expect(page).to_have_url(re.compile(rf"/instances/{instance_id}$"))
    expect(page.get_by_role("status")).to_have_text(f"“{task_name}”已提交")


def complete_task(page: Page, task_name: str, instance_id: int, values: FormValues) -> None:
    fill_form(page, values)
    submit_task(page, task_name, instance_id)
    history = page.locator("#history tbody tr").filter(has_text=task_name)
    expect(history).to_contain_text("已办结")


def register_case(page: Page, court_case_no: str) -> int:
    """The center registers a court-referred case (agency GTZY); returns its instance id."""
    page.get_by_role("link", name="登记法院移送案件").click()
    page.locator("#f-court_case_no").fill(court_case_no)
    page.locator("#f-plaintiff").fill(CASE["plaintiff"])
    page.locator("#f-agency_unit").select_option("GTZY")
    page.locator("#f-subject").fill(CASE["subject"])
    page.locator("#f-claims").fill(CASE["claims"])
    page.locator("#f-court").fill(CASE["court"])
    page.get_by_role("button", name="登记并启动调处流程").click()
    expect(page).to_have_url(re.compile(r"/instances/\d+$"))
    match = re.search(r"/instances/(\d+)$", page.url)
    assert match is not None
    return int(match.group(1))


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


# --- the walk --------------------------------------------------------------------------


def test_center_and_agency_walk_mediation_to_a_downloadable_agreement(
    browser_page: Page, tmp_path: Path
) -> None:
    page = browser_page

    # 1. The center registers a case the court transferred before litigation.
    login(page, "center")
    instance_id = register_case(page, CASE["court_case_no"])
    expect(page.locator("#instance-status")).to_have_text("进行中")
    expect(page.get_by_text(CASE["court_case_no"], exact=True)).to_be_visible()
    expect(page.get_by_text(AGENCY, exact=True)).to_be_visible()

    # 2. An incomplete registration form is refused beside the empty field; nothing advances.
    open_task_from_history(page, REGISTER)
    task_url = page.url
    fill_form(page, {"交办通知书文号": "洪调交〔2026〕7号"})
    page.get_by_role("button", name="提交").click()

    summary = page.get_by_label("材料摘要")
    summary_field = page.locator(".form-field").filter(has=page.locator("#f-materials_summary"))
    expect(summary_field.locator(".field-error")).to_have_text("此项为必填项")
    expect(summary).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(task_url)
    expect(page.get_by_role("heading", name=REGISTER)).to_be_visible()
    expect(page.get_by_role("status")).to_have_count(0)  # no "已提交" flash
    expect(page.get_by_label("交办通知书文号")).to_have_value("洪调交〔2026〕7号")
    expect(page.locator(".field-error")).to_have_count(1)
    page.screenshot(path=tmp_path / "task-form-error.png", full_page=True)

    page.get_by_role("link", name=re.compile(rf"#{instance_id}$")).click()  # to the instance
    expect(page.locator("#history tbody tr")).to_have_count(1)
    expect(page.locator("#history tbody tr")).to_contain_text("办理中")
    expect(page.get_by_text("尚未生成文书。")).to_be_visible()

    # 3. The center completes the registration; the assignment notice is generated.
    open_task_from_history(page, REGISTER)
    complete_task(
        page,
        REGISTER,
        instance_id,
        {
            "材料摘要": "起诉状、证据目录、补偿决定书复印件",
            "交办通知书文号": "洪调交〔2026〕7号",
        },
    )
    expect(page.locator('a.document[data-kind="assignment_notice"]')).to_contain_text("交办通知书")
    logout(page)

    # 4. While the reply task is open at GTZY, another agency's inbox shows nothing of it.
    login(page, "scjg")
    expect(inbox_row(page, instance_id)).to_have_count(0)
    expect(page.get_by_role("link", name=REPLY)).to_have_count(0)
    logout(page)

    # 5. The agency finds its task, due on the make-up Saturday, and replies.
    login(page, "gtzy")
    row = inbox_row(page, instance_id)
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name=REPLY)).to_be_visible()
    expect(row.locator("td").nth(2)).to_have_text("2026-10-10")
    expect(row).not_to_have_class("overdue")
    page.screenshot(path=tmp_path / "inbox-agency.png", full_page=True)

    open_task_from_inbox(page, instance_id, REPLY)
    reply_task_url = page.url
    expect(page.get_by_text("截止 2026-10-10")).to_be_visible()
    page.screenshot(path=tmp_path / "task-form-agency.png", full_page=True)
    complete_task(
        page,
        REPLY,
        instance_id,
        {
            "负责化解工作的责任领导": "赵刚",
            "职务": "局长",
            "行政争议化解联络人": "刘洋",
            "联系电话": "0517-87221234",
            "初步调处意向方案": "复核补偿标准，约谈当事人",
        },
    )
    logout(page)

    # The other agency cannot open the (now completed) reply task directly either.
    login(page, "scjg")
    expect(inbox_row(page, instance_id)).to_have_count(0)
    page.goto(reply_task_url)
    expect(page.get_by_text("任务不存在或无权查看")).to_be_visible()
    expect(page.get_by_role("button", name="提交")).to_have_count(0)
    logout(page)

    # 6. The center schedules the mediation, records an agreement and has it signed.
    login(page, "center")
    open_task_from_inbox(page, instance_id, SCHEDULE)
    complete_task(
        page,
        SCHEDULE,
        instance_id,
        {
            "调处时间": "2026-10-14T09:30",
            "调处地点": "区行政争议调处中心第一调解室",
            "已告知各方当事人": True,
        },
    )
    open_task_from_history(page, OUTCOME)
    complete_task(
        page,
        OUTCOME,
        instance_id,
        {"达成调处协议": True, "调处情况": "双方就补偿标准达成一致"},
    )
    open_task_from_history(page, SIGN)
    complete_task(
        page,
        SIGN,
        instance_id,
        {
            "协议内容": ["乙方按新标准补足补偿款", "甲方撤回行政诉讼"],
            "授权签字人员": "张某某；赵刚",
            "各方当事人或授权人员已签字确认": True,
            "已向行政相对人释明撤回行政诉讼": True,
        },
    )

    # 7. The instance is finished and the signed agreement downloads as a Word document.
    expect(page.locator("#instance-status")).to_have_text("已办结")
    expect(page.locator("#history").get_by_role("link")).to_have_count(0)  # no open task left
    expect(page.locator("a.document")).to_have_count(2)
    agreement_link = page.locator('a.document[data-kind="mediation_agreement"]')
    expect(agreement_link).to_contain_text("调处协议")
    page.screenshot(path=tmp_path / "instance-completed.png", full_page=True)

    with page.expect_download() as download_info:
        agreement_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".docx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    text = docx_text(saved)
    assert "行政争议调处协议" in text
    assert CASE["plaintiff"] in text
