"""The web modeler's page and JSON calls: forms, deadline preview, validate and deploy."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import clock
from app.models import AuditEvent, ProcessDefinition
from app.services.design import definitions, modeling
from app.services.execution import holidays
from tests.helpers import open_task, register, step
from tests.test_web import login

PROCESS = "pre_litigation_mediation"
MODELER = f"/processes/{PROCESS}/modeler"
OLD_TIMER = "working_days(received(), 3)"
AGENCY_FORM = (
    '<spiffworkflow:property name="formJsonSchemaFilename" '
    'value="pre_litigation_mediation/agency_reply.schema.json" />'
)


def _latest_xml(db) -> str:
    with db.read() as session:
        definition = definitions.latest_definition(session, PROCESS)
        assert definition is not None
        return definition.bpmn_xml


def _versions(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).where(ProcessDefinition.process_id == PROCESS))


def _open_modeler(client: FlaskClient, username: str = "owner") -> tuple[str, dict]:
    """Log in, open the modeler page; return its CSRF token and embedded context."""
    login(client, username)
    page = client.get(MODELER).get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    context = re.search(
        r'<script type="application/json" id="modeler-context">(.*?)</script>', page, re.S
    )
    assert token and context, page[:500]
    return token.group(1), json.loads(context.group(1))


def _post(client: FlaskClient, token: str, action: str, body: dict):
    return client.post(f"/processes/{PROCESS}/{action}", json=body, headers={"X-CSRFToken": token})


def test_modeler_page_opens_the_latest_version_with_this_process_forms(client, db):
    token, context = _open_modeler(client)
    assert context["process_id"] == PROCESS and context["version"] == 1
    assert context["xml"] == _latest_xml(db)
    paths = [f["path"] for f in context["forms"]["schemas"]]
    assert "pre_litigation_mediation/agency_reply.schema.json" in paths
    assert all(p.startswith("pre_litigation_mediation/") for p in paths)
    assert "pre_litigation_mediation/agency_reply.uischema.json" in context["forms"]["ui_schemas"]
    starts = {s["value"]: s["label"] for s in context["starts"]}
    assert starts["received()"].startswith("本任务送达承办单位时（系统记录")
    assert "judgment_received" in starts  # recorded events come before the forms' date fields
    fields = {f["name"] for f in context["forms"]["date_fields"]}
    assert "notice_date" not in fields and "reply_date" not in fields  # the system records them
    assert context["lanes"]["案涉行政机关"].startswith("案涉行政机关")
    assert "agency_head" in context["roles"] and "auditor" not in context["roles"]
    assert context["assignees"] == {"designated_reviewer": "本单位合法性审查专人"}
    assert context["documents"]["assignment_notice"] == "行政争议调处交办通知书"
    forms = client.get(f"{MODELER}/forms").get_json()
    assert forms == context["forms"]


def test_processes_page_links_to_the_modeler_only_for_its_readers(client, db):
    login(client, "owner")
    page = client.get("/processes").get_data(as_text=True)
    assert f'href="{MODELER}"' in page
    client.post("/logout", data={"csrf_token": _open_modeler(client)[0]})
    login(client, "center")
    assert "打开建模器" not in client.get("/processes").get_data(as_text=True)
    assert client.get(MODELER).status_code == 403


def test_auditor_reads_the_modeler_but_cannot_validate_or_deploy(client, db):
    token, _ = _open_modeler(client, "auditor")
    page = client.get(MODELER).get_data(as_text=True)
    assert "只读" in page and 'id="deploy"' not in page
    response = _post(client, token, "deploy", {"xml": _latest_xml(db), "comment": "试图部署"})
    assert response.status_code == 403
    assert _versions(db) == 1


def test_validate_marks_the_task_whose_form_was_cleared(client, db):
    token, _ = _open_modeler(client)
    xml = _latest_xml(db).replace(AGENCY_FORM, "")
    response = _post(client, token, "validate", {"xml": xml})
    assert response.status_code == 200
    problems = response.get_json()["problems"]
    assert {
        "element_id": "agency_reply", "line": None, "column": None,
        "message": definitions.NO_FORM, "detail": None, "severity": "error",
    } in (problems)  # fmt: skip
    clean = _post(client, token, "validate", {"xml": _latest_xml(db)}).get_json()["problems"]
    assert [p for p in clean if p["severity"] == "error"] == []


def test_validate_refuses_a_diagram_of_another_process(client, db):
    token, _ = _open_modeler(client)
    xml = (
        _latest_xml(db)
        .replace(f'<bpmn:process id="{PROCESS}"', '<bpmn:process id="renamed_process"')
        .replace(f'processRef="{PROCESS}"', 'processRef="renamed_process"')
    )
    problems = _post(client, token, "validate", {"xml": xml}).get_json()["problems"]
    assert problems[0]["element_id"] == "renamed_process"
    assert "此页面编辑的是" in problems[0]["message"]
    response = _post(client, token, "deploy", {"xml": xml, "comment": "改名"})
    assert response.status_code == 400
    assert _versions(db) == 1


def test_validate_reports_unreadable_xml_for_the_whole_file(client, db):
    token, _ = _open_modeler(client)
    problems = _post(client, token, "validate", {"xml": "<bpmn:definitions"}).get_json()["problems"]
    assert problems[0]["element_id"] == "" and "XML" in problems[0]["message"]


def test_deploy_stores_the_next_version_with_comment_and_deployer(client, db, clock):
    token, _ = _open_modeler(client)
    xml = _latest_xml(db).replace(OLD_TIMER, "working_days(received(), 5)")
    response = _post(client, token, "deploy", {"xml": xml, "comment": "答复期限改为5个工作日"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"process_id": PROCESS, "version": 2, "unchanged": False}
    with db.read() as session:
        latest = definitions.latest_definition(session, PROCESS)
        assert latest is not None
        assert (latest.version, latest.comment, latest.deployed_by) == (
            2,
            "答复期限改为5个工作日",
            "owner",
        )
        assert "working_days(received(), 5)" in latest.bpmn_xml
        event = session.scalar(
            select(AuditEvent)
            .where(AuditEvent.action == "definition.deploy")
            .order_by(AuditEvent.id.desc())
        )
        assert event is not None and event.actor == "owner"
        assert (event.detail["version"], event.detail["comment"]) == (2, "答复期限改为5个工作日")
    again = _post(client, token, "deploy", {"xml": xml, "comment": "再次部署"}).get_json()
    assert again == {"process_id": PROCESS, "version": 2, "unchanged": True}
    assert _versions(db) == 2


def test_a_new_case_gets_the_new_deadline_and_a_running_one_keeps_its_own(client, db):
    before = register(db)
    token, _ = _open_modeler(client)
    xml = _latest_xml(db).replace(OLD_TIMER, "working_days(received(), 5)")
    assert _post(client, token, "deploy", {"xml": xml, "comment": "改为5日"}).status_code == 200
    after = register(db, court_case_no="（2026）苏0813行诉前13号")
    for instance_id in (before, after):
        step(db, instance_id, "center", "register_materials")  # the notice reaches GTZY 09-30
    with db.read() as session:
        work = holidays.load(session)
    three = work.add_working_days(date(2026, 9, 30), 3).due_date
    five = work.add_working_days(date(2026, 9, 30), 5).due_date
    assert three != five
    assert clock.to_local(open_task(db, before).due_at).date() == three
    assert clock.to_local(open_task(db, after).due_at).date() == five


def test_deploy_with_errors_is_refused_and_stores_nothing(client, db):
    token, _ = _open_modeler(client)
    xml = _latest_xml(db).replace(AGENCY_FORM, "").replace(OLD_TIMER, "calendar_days(x, 2)")
    response = _post(client, token, "deploy", {"xml": xml, "comment": "去掉表单"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "流程定义未通过校验，未部署"
    assert any(p["element_id"] == "agency_reply" for p in body["problems"])
    assert _versions(db) == 1


@pytest.mark.parametrize("comment", ["", "   ", None])
def test_deploy_needs_a_comment(client, db, comment):
    token, _ = _open_modeler(client)
    xml = _latest_xml(db).replace(OLD_TIMER, "working_days(received(), 5)")
    response = _post(client, token, "deploy", {"xml": xml, "comment": comment})
    assert response.status_code == 400
    assert response.get_json()["error"] == "请填写部署说明（为何修改）"
    assert _versions(db) == 1


def test_validate_and_deploy_need_json_with_xml_and_a_csrf_token(client, db):
    token, _ = _open_modeler(client)
    response = client.post(f"/processes/{PROCESS}/validate", data={"xml": "x"},
                           headers={"X-CSRFToken": token})  # fmt: skip
    assert response.status_code == 400 and response.get_json()["error"] == "请求须为 JSON 对象"
    assert _post(client, token, "validate", {"xml": ""}).get_json()["error"] == "缺少流程图 XML"
    no_token = client.post(f"/processes/{PROCESS}/deploy", json={"xml": "x", "comment": "c"})
    assert no_token.status_code == 400
    assert _versions(db) == 1


def test_unknown_process_is_404(client, db):
    token, _ = _open_modeler(client)
    assert client.get("/processes/no_such_process/modeler").status_code == 404
    forms = client.get("/processes/no_such_process/modeler/forms")
    assert forms.status_code == 404 and forms.get_json()["error"] == "流程未部署：no_such_process"
    response = client.post(
        "/processes/no_such_process/validate", json={"xml": "<x/>"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 404 and response.get_json()["error"].startswith("流程未部署")


def test_deadline_preview_explains_the_due_date(client, db):
    login(client, "owner")
    found = client.get("/processes/deadline-preview?kind=working&days=3&date=2026-09-30")
    assert found.get_json() == {
        "due": "2026-10-10",
        "explanation": "2026-09-30 起 3 个工作日，截止 2026-10-10（周六）；跳过 10-01至10-07 "
        "法定节假日（国庆节）；10-10 调休上班日计入",
        "provisional": False,
    }
    calendar_days = client.get("/processes/deadline-preview?kind=calendar&days=5&date=2026-09-30")
    assert calendar_days.get_json()["due"] == "2026-10-08"  # 10-05 falls in the holiday
    assert "期满日逢休息日顺延" in calendar_days.get_json()["explanation"]
    provisional = client.get("/processes/deadline-preview?kind=working&days=1&date=2030-12-31")
    assert provisional.get_json()["provisional"] is True


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("kind=weeks&days=3&date=2026-09-30", "期限类型须为工作日（working）或自然日（calendar）"),
        ("kind=working&days=0&date=2026-09-30", "天数须为 1 到 366 之间的整数"),
        ("kind=working&days=abc&date=2026-09-30", "天数须为 1 到 366 之间的整数"),
        ("kind=working&days=3&date=2026-02-30", "示例日期须为 YYYY-MM-DD 格式"),
        ("kind=working&days=3", "示例日期须为 YYYY-MM-DD 格式"),
    ],
)
def test_bad_preview_input_is_a_400_with_a_chinese_message(client, db, query, message):
    login(client, "owner")
    response = client.get(f"/processes/deadline-preview?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"] == message


def test_form_lists_stay_inside_the_forms_folder(tmp_path):
    (tmp_path / "forms" / "p").mkdir(parents=True)
    (tmp_path / "forms" / "p" / "a.schema.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "secret.schema.json").write_text("{}", encoding="utf-8")
    found = modeling.process_forms(tmp_path / "forms", "p")
    assert [(f.path, f.date_fields) for f in found.schemas] == [("p/a.schema.json", [])]
    assert modeling.process_forms(tmp_path / "forms", "..").schemas == []
    assert modeling.process_forms(tmp_path / "forms", "missing").as_json()["date_fields"] == []
