"""A user changes their password, and an idle login sends the browser back to the login page
and then to where it was, in Chromium against a real ``huajie serve``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import free_port, init_demo, serving

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Qingshui-河畔-47"


def _login(page: Page, username: str, password: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    made = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    made.set_default_timeout(15_000)
    try:
        yield made
    finally:
        made.close()


def test_a_user_changes_their_password(context: BrowserContext, live_server: str) -> None:
    page = context.new_page()
    page.goto(f"{live_server}/login")
    _login(page, "gtzy_lawyer", "gtzy_lawyer-Demo2026")
    page.get_by_role("link", name="修改密码").click()
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()

    page.get_by_label("当前密码").fill("not-my-password-1")
    page.get_by_label("新密码", exact=True).fill("Password123")
    page.get_by_label("再次输入新密码").fill("Password124")
    page.get_by_role("button", name="修改密码").click()
    form = page.locator("#password-form")
    expect(form).to_contain_text("当前密码不正确")
    expect(form).to_contain_text("两次输入的新密码不一致")
    expect(form).to_contain_text("密码过于常见或容易被猜到")

    page.get_by_label("当前密码").fill("gtzy_lawyer-Demo2026")
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("再次输入新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator(".flash")).to_contain_text("密码已修改")
    expect(page.get_by_role("heading", name="本单位待办任务")).to_be_visible()

    page.get_by_role("button", name="退出").click()
    _login(page, "gtzy_lawyer", "gtzy_lawyer-Demo2026")
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    _login(page, "gtzy_lawyer", NEW_PASSWORD)
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def test_an_idle_login_ends_and_logging_in_returns_to_the_page(
    context: BrowserContext, tmp_path: Path
) -> None:
    """The server is stopped and started again 31 minutes later (its clock is HUAJIE_NOW); the
    browser keeps its cookie, as it would across a long pause."""
    env = init_demo(tmp_path)
    port = free_port()
    page = context.new_page()
    with serving(tmp_path, env, port) as base_url:
        page.goto(f"{base_url}/cases")
        expect(page.locator(".flash")).to_contain_text("请先登录")
        _login(page, "center", "center-Demo2026")
        expect(page).to_have_url(f"{base_url}/cases")
    later = {**env, "HUAJIE_NOW": "2026-09-30T10:31:00+08:00"}
    with serving(tmp_path, later, port) as base_url:
        page.reload()
        expect(page.locator(".flash")).to_contain_text("登录已超时")
        expect(page).to_have_url(f"{base_url}/login?next=/cases")
        _login(page, "center", "center-Demo2026")
        expect(page).to_have_url(f"{base_url}/cases")
        expect(page.get_by_role("button", name="退出")).to_be_visible()
