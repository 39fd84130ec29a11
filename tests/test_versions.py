"""Version history, the readable diff between versions, and the version pages."""

from __future__ import annotations

import re

import pytest

from app.errors import NotFound
from app.services.design import versions
from tests.test_migration import _case, _waiting_at_reply
from tests.test_web import _csrf, login
from tests.versioning import MEDIATION, deploy_variant, deploy_xml, forms_with, reply_in, shipped


def _rename_and_add_step(xml: str) -> str:
    """v2: a renamed task, a 5-day reply deadline, and an extra lane-less end event."""
    xml = reply_in(5)(xml)
    xml = xml.replace('name="记录调处结果"', 'name="记录调处结果及意见"')
    return xml.replace(
        '<bpmn:endEvent id="end_agreement" name="调处成功">',
        '<bpmn:endEvent id="end_archived" name="归档"></bpmn:endEvent>\n'
        '    <bpmn:endEvent id="end_agreement" name="调处成功">',
    )


def _add_field(schema):
    schema["properties"]["liaison_email"] = {"type": "string", "title": "联络人邮箱"}
    del schema["properties"]["leader_title"]


def test_history_counts_instances_per_version(db):
    _waiting_at_reply(db)
    deploy_variant(db, MEDIATION, reply_in(5), comment="答复期限改为5个工作日")
    _case(db)
    with db.read() as session:
        rows = versions.history(session, MEDIATION)
    assert [(r.version, r.running, r.finished) for r in rows] == [(2, 1, 0), (1, 1, 0)]
    assert rows[0].comment == "答复期限改为5个工作日" and rows[0].deployed_by == "owner"
    assert len(rows[0].sha256) == 64 and rows[0].sha256 != rows[1].sha256
    with db.read() as session, pytest.raises(NotFound):
        versions.history(session, "no_such_process")


def test_diff_names_deadline_name_form_and_added_elements(db, tmp_path):
    folder = forms_with(tmp_path, f"{MEDIATION}/agency_reply.schema.json", _add_field)
    deploy_variant(db, MEDIATION, _rename_and_add_step, forms_dir=folder)
    with db.read() as session:
        result = versions.diff(session, MEDIATION, 1, 2)
    by_id = {c.element_id: c for c in result.changes}
    assert by_id["agency_reply_deadline"].change == "changed"
    assert by_id["agency_reply_deadline"].details == [
        "期限：3 个工作日（自任务送达起） → 5 个工作日（自任务送达起）"
    ]
    assert by_id["record_outcome"].details == ["名称：记录调处结果 → 记录调处结果及意见"]
    assert by_id["agency_reply"].details == [
        "表单新增字段：liaison_email（联络人邮箱）",
        "表单删除字段：leader_title（职务）",
    ]
    assert by_id["end_archived"].change == "added" and by_id["end_archived"].kind == "结束事件"
    assert result.counts == {"added": 1, "removed": 0, "changed": 3}
    # the other way round, the end event is removed
    with db.read() as session:
        back = versions.diff(session, MEDIATION, 2, 1)
    assert {c.element_id: c.change for c in back.changes}["end_archived"] == "removed"


def test_deadline_text_reads_like_the_rule():
    assert (
        versions.deadline_text("working_days(notice_date, 3)") == "3 个工作日（自 notice_date 起）"
    )
    assert versions.deadline_text('working_days(submitted("agency_reply"), 3)') == (
        "3 个工作日（自 agency_reply 提交起）"
    )
    assert versions.deadline_text("calendar_days(performance_deadline, 5)") == (
        "5 日（自 performance_deadline 起）"
    )
    assert versions.deadline_text("") == "（无）"


def test_version_pages(client, db):
    deploy_variant(db, MEDIATION, reply_in(5), comment="答复期限改为5个工作日")
    login(client, "auditor")
    start = client.get("/processes").get_data(as_text=True)
    assert f"/processes/{MEDIATION}/versions" in start
    page = client.get(f"/processes/{MEDIATION}/versions").get_data(as_text=True)
    assert (
        "答复期限改为5个工作日" in page
        and 'data-version="2"' in page
        and 'data-version="1"' in page
    )
    assert "迁移实例到此版本" not in page  # auditors read, never migrate
    deployers = re.findall(
        r'<tr data-version="\d+">.*?<td>v\d.*?</td>\s*<td>.*?</td>\s*<td>(.*?)</td>', page, re.S
    )
    assert deployers == ["周洁（洪泽区司法局）", "系统"], deployers  # people, never login names
    download = client.get(f"/processes/{MEDIATION}/versions/1.bpmn")
    assert download.status_code == 200
    assert download.get_data(as_text=True) == shipped(MEDIATION)
    assert "attachment" in download.headers["Content-Disposition"]
    diff = client.get(f"/processes/{MEDIATION}/diff?from=1&to=2").get_data(as_text=True)
    assert "3 个工作日（自任务送达起） → 5 个工作日（自任务送达起）" in diff
    assert client.get(f"/processes/{MEDIATION}/diff?from=1&to=9").status_code == 404
    bad = client.get(f"/processes/{MEDIATION}/diff?from=x&to=2")
    assert bad.status_code == 400 and "请选择" in bad.get_data(as_text=True)


def test_agency_staff_cannot_see_versions(client):
    login(client, "gtzy")
    assert client.get(f"/processes/{MEDIATION}/versions").status_code == 403
    assert f"/processes/{MEDIATION}/versions" not in client.get("/processes").get_data(as_text=True)


def test_migrate_page_dry_run_then_apply(client, db):
    movable = _waiting_at_reply(db)
    deploy_variant(db, MEDIATION, reply_in(5))
    login(client, "owner")
    url = f"/processes/{MEDIATION}/migrate?to=2"
    page = client.get(url).get_data(as_text=True)
    assert f'data-instance-id="{movable}"' in page and "可迁移" in page
    assert "2026-10-10 → 2026-10-13" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = client.post(url, data={"csrf_token": token, "instance_id": str(movable)})
    text = done.get_data(as_text=True)
    assert done.status_code == 200 and "已迁移" in text and "v1 → v2" in text
    assert "没有在更早版本上运行中的实例" in client.get(url).get_data(as_text=True)


def test_migrate_refuses_an_empty_choice_and_bureau_may_only_look(client, db):
    _waiting_at_reply(db)
    deploy_variant(db, MEDIATION, reply_in(5))
    login(client, "owner")
    url = f"/processes/{MEDIATION}/migrate?to=2"
    empty = client.post(url, data={"csrf_token": _csrf(client, url)})
    assert empty.status_code == 400 and "请至少选择" in empty.get_data(as_text=True)
    login(client, "bureau")
    assert client.get(url).status_code == 200
    assert client.post(url, data={"csrf_token": _csrf(client, url)}).status_code == 403


def test_diff_notices_a_changed_form_layout(db, tmp_path):
    folder = forms_with(
        tmp_path, f"{MEDIATION}/agency_reply.uischema.json", lambda ui: ui.update({"x-new": 1})
    )
    assert deploy_xml(db, shipped(MEDIATION), forms_dir=folder) == 2
    with db.read() as session:
        result = versions.diff(session, MEDIATION, 1, 2)
    assert [(c.element_id, c.details) for c in result.changes] == [
        ("agency_reply", ["表单布局（uischema）已修改"])
    ]
