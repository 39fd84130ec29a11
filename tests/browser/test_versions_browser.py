"""A process owner reads the version history, compares two versions and migrates an instance.

Set-up through the API (as the court system and a modeler would): the center registers a case
and sends the assignment notice on 2026-09-30, so the agency's reply is due in 3 working days
(2026-10-10); the owner uploads version 2 with a 5-working-day reply deadline.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import huajie_cli
from tests.browser.test_mediation_browser import login
from tests.helpers import CASE, FORM_DATA
from tests.versioning import MEDIATION, reply_in, shipped

pytestmark = pytest.mark.browser


def _prepare(page: Page, live_server: str) -> int:
    center = {
        "Authorization": "Bearer " + huajie_cli(live_server, "tokens", "create", "center").strip()
    }
    owner = {
        "Authorization": "Bearer " + huajie_cli(live_server, "tokens", "create", "owner").strip()
    }
    case = page.request.post("/api/v1/cases", data=CASE, headers=center)
    assert case.status == 201, case.text()
    instance_id = case.json()["instance_id"]
    [task] = [t for t in page.request.get("/api/v1/tasks", headers=center).json()
              if t["instance_id"] == instance_id]  # fmt: skip
    done = page.request.post(
        f"/api/v1/tasks/{task['id']}/complete",
        data={"data": FORM_DATA["register_materials"]}, headers=center,
    )  # fmt: skip
    assert done.ok, done.text()
    upload = page.request.post(
        "/api/v1/process-definitions",
        multipart={
            "file": {"name": f"{MEDIATION}.bpmn", "mimeType": "application/xml",
                     "buffer": reply_in(5)(shipped(MEDIATION)).encode("utf-8")},
            "comment": "答复期限改为5个工作日",
        },
        headers=owner,
    )  # fmt: skip
    assert upload.status == 201, upload.text()
    return instance_id


def test_owner_compares_versions_and_migrates_a_running_instance(browser_page, live_server):
    page = browser_page
    instance_id = _prepare(page, live_server)
    login(page, "owner")
    page.get_by_role("link", name="发起流程").click()
    page.locator(f'#modelable tr[data-process="{MEDIATION}"]').get_by_role(
        "link", name="版本历史"
    ).click()
    expect(page.get_by_role("heading", name="法院诉前移送调处")).to_be_visible()
    expect(page.locator("#versions tr[data-version]")).to_have_count(2)
    expect(page.locator('tr[data-version="2"]')).to_contain_text("答复期限改为5个工作日")

    page.get_by_label("比较自 v1").check()
    page.get_by_label("比较到 v2").check()
    page.get_by_role("button", name="比较所选两个版本").click()
    change = page.locator('#diff tr[data-element-id="agency_reply_deadline"]')
    expect(change).to_contain_text("修改")
    expect(change).to_contain_text("3 个工作日（自任务送达起） → 5 个工作日（自任务送达起）")

    page.get_by_role("link", name="← 版本历史").click()
    page.locator('tr[data-version="2"]').get_by_role("link", name="迁移实例到此版本").click()
    row = page.locator(f'#dry-run tr[data-instance-id="{instance_id}"]')
    expect(row).to_contain_text("可迁移")
    expect(row).to_contain_text("2026-10-10 → 2026-10-13")
    expect(row.get_by_label(f"迁移实例 {instance_id}")).to_be_checked()
    page.get_by_role("button", name="迁移所选实例").click()
    result = page.locator(f'#migration-results tr[data-instance-id="{instance_id}"]')
    expect(result).to_contain_text("已迁移")
    expect(result).to_contain_text("v1 → v2")

    page.locator(f'a[href="/instances/{instance_id}"]').first.click()
    expect(page.locator("body")).to_contain_text("2026-10-13")
