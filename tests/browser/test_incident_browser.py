"""A process owner opens an incident, corrects a value of the failed step's data, retries, and
the instance moves on.

Set-up through the API: the owner deploys a diagram whose last script divides by ``words``;
the agency starts it with ``words`` 0 and submits its draft, so the script stops the instance.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import huajie_cli
from tests.browser.test_mediation_browser import login
from tests.test_incidents import DIAGRAM, DRAFT

pytestmark = pytest.mark.browser


def _stopped_instance(page: Page, live_server: str) -> int:
    owner, agency = (
        {"Authorization": "Bearer " + huajie_cli(live_server, "tokens", "create", u).strip()}
        for u in ("owner", "gtzy")
    )
    upload = page.request.post(
        "/api/v1/process-definitions",
        multipart={"file": {"name": "incident_demo.bpmn", "mimeType": "application/xml",
                            "buffer": DIAGRAM.read_bytes()}},
        headers=owner,
    )  # fmt: skip
    assert upload.status == 201, upload.text()
    started = page.request.post(
        "/api/v1/processes/incident_demo/instances",
        data={"data": {"fine": 100, "words": 0}}, headers=agency,
    )  # fmt: skip
    assert started.status == 201, started.text()
    instance_id = started.json()["instance_id"]
    [task] = [t for t in page.request.get("/api/v1/tasks", headers=agency).json()
              if t["instance_id"] == instance_id]  # fmt: skip
    done = page.request.post(
        f"/api/v1/tasks/{task['id']}/complete", data={"data": DRAFT}, headers=agency
    )
    assert done.ok, done.text()
    return instance_id


def test_owner_corrects_a_value_retries_and_the_instance_moves_on(browser_page, live_server):
    page = browser_page
    instance_id = _stopped_instance(page, live_server)
    login(page, "owner")
    page.get_by_role("link", name="流程故障").click()
    row = page.locator("#incidents tr[data-incident-id]").filter(has_text=f"#{instance_id}")
    row.get_by_role("link", name="统计说明长度").click()

    data = page.locator("#incident-data")
    expect(data.locator('tr[data-key="revision_note"]')).to_contain_text("修改说明")
    expect(data.locator('tr[data-key="revision_note"]')).to_contain_text("无权查看")
    words = data.locator('tr[data-key="words"]')
    expect(words).to_contain_text("0")
    page.get_by_label("words").fill("两")
    page.get_by_role("button", name="更正并重试").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("words：须为数字")
    expect(summary).to_contain_text("请填写更正的理由")

    page.get_by_label("words").fill("2")
    page.get_by_label("更正的理由").fill("字数不能为零：按修改说明的实际字数")
    page.get_by_role("button", name="更正并重试").click()
    expect(page.get_by_role("status")).to_contain_text("已重试")
    expect(page.get_by_text("没有待处理的流程故障。")).to_be_visible()

    page.goto(f"/instances/{instance_id}")
    expect(page.locator("body")).to_contain_text("已办结")
    expect(page.locator("body")).to_contain_text("字数不能为零：按修改说明的实际字数")
