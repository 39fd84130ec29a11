"""The incident page: only process owners and admins open or post it; a correction with bad
values is refused on the page with every problem named in Chinese, and stores nothing."""

from __future__ import annotations

import pytest
from lxml import html

from tests.test_incident_corrections import _stopped_at_start, _stored
from tests.test_incidents import DIAGRAM, _deploy, _h, _status, tokens
from tests.test_web import _csrf, login

pytestmark = pytest.mark.both_databases
__all__ = ["tokens"]


def _text(response) -> str:
    return " ".join(html.fromstring(response.get_data(as_text=True)).text_content().split())


@pytest.mark.parametrize("username", ["auditor", "gtzy", "center", "bureau"])
def test_only_process_owners_and_admins_open_or_post_the_page(app, client, tokens, db, username):
    instance_id, incident_id = _stopped_at_start(client, tokens)
    before = _stored(db, instance_id)
    browser = app.test_client()
    login(browser, username)
    token = _csrf(browser, "/")
    opened = browser.get(f"/incidents/{incident_id}")
    assert opened.status_code == 403
    assert "您的角色无权使用此功能" in _text(opened)
    posted = browser.post(
        f"/incidents/{incident_id}",
        data={"csrf_token": token, "value.fine": "5000", "kind.fine": "number", "reason": "补"},
    )
    assert posted.status_code == 403
    moved = browser.post(
        f"/incidents/{incident_id}/migrate", data={"csrf_token": token, "to_version": "1"}
    )
    assert moved.status_code == 403
    assert _stored(db, instance_id) == before


def test_bad_values_are_named_on_the_page_and_nothing_is_stored(client, tokens, db):
    instance_id, incident_id = _stopped_at_start(client, tokens)
    before = _stored(db, instance_id)
    login(client, "owner")
    page = client.get(f"/incidents/{incident_id}")
    assert page.status_code == 200
    table = html.fromstring(page.get_data(as_text=True)).get_element_by_id("incident-data")
    shown = " ".join(table.text_content().split())
    assert "修改后的拟作决定 罚款五千元" in shown and "fine （未在表单中命名） 故障所缺" in shown
    assert "proposed_decision" not in shown  # labelled fields by their labels only
    token = _csrf(client, f"/incidents/{incident_id}")
    refused = client.post(
        f"/incidents/{incident_id}",
        data={
            "csrf_token": token, "then": "retry", "reason": " ",
            "value.abandon": "也许", "value.fine": "五千", "kind.fine": "number",
            "value.proposed_decision": "\x00罚款",
        },
    )  # fmt: skip
    assert refused.status_code == 400
    said = _text(refused)
    assert "不再作出该决定：须为“是”或“否”" in said
    assert "不再作出该决定：不再作出该决定" not in said  # the field named once
    assert "fine：须为数字" in said
    assert "修改后的拟作决定：不能包含空字符" in said
    assert "请填写更正的理由" in said
    assert 'value="五千"' in refused.get_data(as_text=True)  # what was typed stays
    huge = client.post(
        f"/incidents/{incident_id}",
        data={"csrf_token": token, "then": "save", "reason": "补",
              "value.fine": "9" * 5000, "kind.fine": "number"},
    )  # fmt: skip
    assert huge.status_code == 400 and "fine：须为数字" in _text(huge)
    nothing = client.post(
        f"/incidents/{incident_id}", data={"csrf_token": token, "then": "save", "reason": "补"}
    )
    assert nothing.status_code == 400 and "没有更改任何数据" in _text(nothing)
    assert _stored(db, instance_id) == before


def test_the_api_wants_a_reason_with_data_and_names_an_unknown_key(client, tokens, db):
    instance_id, incident_id = _stopped_at_start(client, tokens)
    before = _stored(db, instance_id)
    refused = client.post(
        f"/api/v1/incidents/{incident_id}/retry",
        json={"data": {"fine": 5000, "nosuch": 1}}, headers=_h(tokens["owner"]),
    )  # fmt: skip
    assert refused.status_code == 400
    assert set(refused.json["errors"]) == {"nosuch", "reason"}
    assert _stored(db, instance_id) == before


def test_the_page_corrects_and_retries_in_one_step(client, tokens, db):
    instance_id, incident_id = _stopped_at_start(client, tokens)
    login(client, "owner")
    token = _csrf(client, f"/incidents/{incident_id}")
    done = client.post(
        f"/incidents/{incident_id}",
        data={"csrf_token": token, "then": "retry", "reason": "启动时漏填罚款金额",
              "value.fine": "5,000", "kind.fine": "number", "value.abandon": "False"},
    )  # fmt: skip
    assert done.status_code == 302
    assert _status(client, tokens, instance_id) == "running"
    listed = _text(client.get("/incidents"))
    assert "已重试" in listed and "没有待处理的流程故障" in listed


def test_the_page_moves_the_instance_to_a_fixed_version_and_retries(client, tokens, db):
    instance_id, incident_id = _stopped_at_start(client, tokens)
    login(client, "owner")
    token = _csrf(client, f"/incidents/{incident_id}")
    before = _stored(db, instance_id)
    stale = client.post(
        f"/incidents/{incident_id}/migrate", data={"csrf_token": token, "to_version": "1"}
    )  # not a newer version: refused on the incident's page, nothing moves
    assert stale.status_code == 302
    assert "不能迁移到 v1" in _text(client.get(stale.location))
    assert _stored(db, instance_id) == before
    _deploy(client, tokens["owner"], DIAGRAM.read_bytes().replace(b"fine * 2", b"0"))
    page = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert '<option value="2">v2</option>' in page
    moved = client.post(
        f"/incidents/{incident_id}/migrate", data={"csrf_token": token, "to_version": "2"}
    )
    assert moved.status_code == 302
    assert "已迁移到 v2 并重试" in _text(client.get(moved.location))
    assert _status(client, tokens, instance_id) == "running"


def test_nested_values_are_edited_as_json_by_administrators_only(app, client, tokens, db):
    instance_id, incident_id = _stopped_at_start(client, tokens)
    login(client, "owner")
    owner_page = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert 'id="field-lane_owners"' not in owner_page
    assert "嵌套的数据（对象、列表）只有系统管理员可以更正" in owner_page
    admin = app.test_client()
    login(admin, "admin")
    admin_page = admin.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert '<textarea id="field-lane_owners"' in admin_page
    token = _csrf(admin, f"/incidents/{incident_id}")
    saved = admin.post(
        f"/incidents/{incident_id}",
        data={"csrf_token": token, "then": "save", "reason": "罚款金额按决定书拆分",
              "value.fine": '{"amount": 5000}', "kind.fine": "json"},
    )  # fmt: skip
    assert saved.status_code == 302, _text(saved)
    assert _status(client, tokens, instance_id) == "incident"
    assert "罚款金额按决定书拆分" in _text(admin.get(f"/instances/{instance_id}"))
