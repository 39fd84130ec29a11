"""系统管理 in Chromium: the administrator adds a user, who logs in with the temporary password
and chooses their own; a setting with a bad value is refused with a message naming it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_mediation_browser import login, logout

pytestmark = pytest.mark.browser

OWN_PASSWORD = "Hongze-调处-2026x"


def test_an_admin_creates_a_user_who_then_logs_in(browser_page: Page) -> None:
    page = browser_page
    login(page, "admin")
    page.get_by_role("link", name="系统管理").click()
    expect(page.get_by_role("heading", name="添加用户")).to_be_visible()
    expect(page.get_by_label("用户名")).to_be_focused()

    # Nothing chosen: every problem at once, on top, nothing stored.
    page.get_by_role("button", name="添加用户").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("请填写用户名")
    expect(summary).to_contain_text("请选择单位")
    expect(summary).to_contain_text("请选择角色")
    expect(summary).to_be_focused()

    page.get_by_label("用户名").fill("liwei")
    page.get_by_label("姓名").fill("李伟")
    page.get_by_label("单位").select_option(label="洪泽区行政争议调处中心")
    page.get_by_label("角色").select_option(label="调处中心工作人员")
    page.get_by_label("电子邮箱").fill("liwei@hongze.gov.cn")
    page.get_by_role("button", name="添加用户").click()
    expect(page.locator("#created-user")).to_contain_text("已添加用户 liwei")
    temporary = page.locator("#temporary-password").inner_text()
    expect(page.locator("#users")).to_contain_text("李伟")
    logout(page)

    page.get_by_label("用户名").fill("liwei")
    page.get_by_label("密码").fill(temporary)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()  # a temporary one
    page.get_by_label("当前密码").fill(temporary)
    page.get_by_label("新密码", exact=True).fill(OWN_PASSWORD)
    page.get_by_label("再次输入新密码").fill(OWN_PASSWORD)
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_role("heading", name="本单位待办任务")).to_be_visible()
    expect(page.locator(".who")).to_contain_text("李伟")
    expect(page.get_by_role("link", name="系统管理")).to_have_count(0)


def test_a_setting_with_a_bad_value_is_refused_with_a_message(browser_page: Page) -> None:
    page = browser_page
    login(page, "admin")
    page.goto("/admin/settings")
    field = page.get_by_label("约谈所需最少审结案件数")
    field.fill("三件")
    field.locator("xpath=ancestor::form").get_by_role("button", name="保存").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("约谈所需最少审结案件数：格式不正确，应为整数")
    expect(summary).to_be_focused()
    expect(page.get_by_label("约谈所需最少审结案件数")).to_have_value("三件")  # kept
    page.get_by_label("约谈所需最少审结案件数").fill("5")
    page.get_by_label("约谈所需最少审结案件数").locator("xpath=ancestor::form").get_by_role(
        "button", name="保存"
    ).click()
    expect(page.locator(".flash")).to_contain_text("已保存：约谈所需最少审结案件数")
    expect(page.get_by_label("约谈所需最少审结案件数")).to_have_value("5")
