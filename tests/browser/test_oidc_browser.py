"""统一身份认证登录 in Chromium: the live server, configured for a fake OpenID provider."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider, running_provider

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    with running_provider() as running:
        yield running


@pytest.fixture(scope="module")
def oidc_env(provider: FakeProvider) -> Iterator[None]:
    """The live server copies os.environ when it starts: configure OIDC there, then restore."""
    wanted = {
        "HUAJIE_OIDC_ISSUER": provider.issuer,
        "HUAJIE_OIDC_CLIENT_ID": CLIENT_ID,
        "HUAJIE_OIDC_CLIENT_SECRET": CLIENT_SECRET,
    }
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="module")
def live_server(oidc_env: None, live_server: str) -> str:  # the conftest's, started after env
    return live_server


def test_sso_button_logs_a_known_user_in_and_refuses_a_stranger(
    browser_page: Page, provider: FakeProvider
) -> None:
    page = browser_page
    provider.username = "gtzy"
    page.goto("/login")
    page.get_by_role("link", name="统一身份认证登录").click()
    expect(page.get_by_role("heading", name="本单位待办任务")).to_be_visible()
    expect(page.get_by_text("洪泽区自然资源和规划局")).to_be_visible()
    page.get_by_role("button", name="退出").click()
    provider.username = "stranger"
    page.get_by_role("link", name="统一身份认证登录").click()
    expect(page.get_by_role("alert")).to_contain_text("未在本系统开通")
    expect(page.get_by_role("button", name="退出")).to_have_count(0)
