"""Deploying reports every problem of a diagram at once, in Chinese, each with its element (or
its line and column), the engine's or the schema's own words kept in ``detail``; what would
break at run time is refused at deploy."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import ProcessDefinition
from app.services.actor import SYSTEM
from app.services.identity import org

pytestmark = pytest.mark.both_databases

SAMPLES = Path(__file__).resolve().parent / "samples"
URL = "/api/v1/process-definitions"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def owner(db):
    with db.write() as session:
        return org.create_token(session, SYSTEM, "owner")


def _upload(client, token, content: bytes, filename: str = "diagram.bpmn"):
    data = {"file": (BytesIO(content), filename)}
    headers = {"Authorization": f"Bearer {token}"}
    return client.post(URL, data=data, headers=headers, content_type="multipart/form-data")


def _versions(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition))


def _by_element(problems) -> dict[str, str]:
    found: dict[str, str] = {}
    for p in problems:
        found[p["element_id"]] = found.get(p["element_id"], "") + p["message"]
    return found


def test_every_problem_is_reported_at_once_in_chinese_with_its_element(client, owner, db):
    before = _versions(db)
    response = _upload(client, owner, (SAMPLES / "checks" / "everything_wrong.bpmn").read_bytes())
    assert response.status_code == 400
    problems = response.json["problems"]
    assert all(CJK.search(p["message"]) for p in problems), problems
    found = _by_element([p for p in problems if p["severity"] == "error"])
    expected = {
        "f_yes": "请改写为 approved",  # JUEL, with the Python equivalent
        "f_no": "条件表达式无效",  # compiled in the sandbox at deploy
        "undo": "补偿",  # compensation is not run
        "notify_service": "不调用外部系统",
        "each_party": "camunda:collection",  # a multi-instance task without a collection
        "review_timer": "timeDate",  # working_days in a timeDuration: the fix named
        "start": "市场部",  # the start lane no unit owns
    }
    for element, words in expected.items():
        assert words in found.get(element, ""), (element, found.get(element))
    [no_id] = [p for p in problems if "没有 ID" in p["message"]]
    assert no_id["element_id"] == "" and no_id["line"] == 91
    assert "wait_payment" in no_id["message"]
    assert _versions(db) == before


def test_schema_errors_give_line_column_and_the_original(client, owner, db):
    content = (SAMPLES / "checks" / "everything_wrong.bpmn").read_bytes()
    content = content.replace(b'id="f_count"', b'id="review"').replace(
        b'id="TimerDef_1"', b'id="TimerDef_1" bogus="1"'
    )
    response = _upload(client, owner, content)
    assert response.status_code == 400
    problems = response.json["problems"]
    [duplicate] = [p for p in problems if "重复" in p["message"]]
    assert duplicate["element_id"] == "review"
    assert duplicate["line"] == 90  # libxml2 gives no column for schema errors
    assert "xs:ID" in duplicate["detail"]
    [attribute] = [p for p in problems if "bogus" in p["message"]]
    assert "定时器定义" in attribute["message"] and attribute["line"] == 36
    # the schema does not stop the product's own checks
    assert any("请改写为 approved" in p["message"] for p in problems)


def test_malformed_xml_says_where(client, owner):
    response = _upload(client, owner, b'<?xml version="1.0"?>\n<definitions>\n  <process id="a">\n')
    assert response.status_code == 400
    [problem] = response.json["problems"]
    assert problem["message"].startswith("XML 格式错误：第 4 行")
    assert problem["line"] == 4 and problem["column"]
    assert problem["detail"]  # lxml's words


def test_a_non_executable_file_names_the_process_to_mark(client, owner):
    content = (SAMPLES / "modelers" / "camunda_modeler.bpmn").read_bytes()
    response = _upload(client, owner, content.replace(b'isExecutable="true"', b""))
    # no attribute: executable by default
    assert response.status_code == 201, response.json
    response = _upload(
        client, owner, content.replace(b'isExecutable="true"', b'isExecutable="false"')
    )
    assert response.status_code == 400
    [problem] = [p for p in response.json["problems"] if p["severity"] == "error"]
    assert problem["element_id"] == "enforcement_recheck_camunda"
    assert "勾选“可执行”" in problem["message"] and "重大执法决定复审" in problem["message"]


def test_two_executable_pools_each_say_to_keep_one(client, owner):
    second = b"""<process id="other_pool" name="other" isExecutable="true">
      <startEvent id="other_start"/></process>
  <bpmndi:BPMNDiagram"""
    content = (SAMPLES / "modelers" / "camunda_modeler.bpmn").read_bytes()
    response = _upload(client, owner, content.replace(b"<bpmndi:BPMNDiagram", second, 1))
    assert response.status_code == 400
    problems = response.json["problems"]
    assert {p["element_id"] for p in problems} >= {"enforcement_recheck_camunda", "other_pool"}
    assert all("只把要部署的那个流程" in p["message"] for p in problems[:2])


def test_a_camunda_task_with_documentation_and_a_form_key_deploys(client, owner, db):
    """The Camunda rewrite puts its extensionElements after the documentation (the schema's
    order), so the product accepts its own rewrite."""
    content = (SAMPLES / "modelers" / "camunda_modeler.bpmn").read_bytes()
    documented = content.replace(
        b'camunda:formKey="major_enforcement_decision/legal_review.schema.json">',
        b'camunda:formKey="major_enforcement_decision/legal_review.schema.json">\n'
        b"      <documentation>\xe5\x85\x88\xe5\xae\xa1\xe4\xba\x8b\xe5\xae\x9e</documentation>",
    )
    assert documented != content
    response = _upload(client, owner, documented)
    assert response.status_code == 201, response.json
    assert _versions(db) >= 1


def test_the_upload_page_lists_every_problem_and_deploys_a_sound_file(client, db):
    from tests.test_web import login

    login(client, "owner")
    page = client.get("/processes/upload").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    wrong = (SAMPLES / "checks" / "everything_wrong.bpmn").read_bytes()
    response = client.post(
        "/processes/upload",
        data={"file": (BytesIO(wrong), "wrong.bpmn"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "未通过校验，未部署" in text
    assert "第 91 行" in text and "请改写为 approved" in text and "不调用外部系统" in text
    assert text.count('class="problem error"') >= 8
    sound = (SAMPLES / "modelers" / "camunda_modeler.bpmn").read_bytes()
    response = client.post(
        "/processes/upload",
        data={"file": (BytesIO(sound), "recheck.bpmn"), "csrf_token": token, "comment": "导入"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "已部署" in response.get_data(as_text=True)
    with db.read() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(ProcessDefinition)
                .where(ProcessDefinition.process_id == "enforcement_recheck_camunda")
            )
            == 1
        )


def test_only_process_owners_open_the_upload_page(client):
    from tests.test_web import login

    login(client, "gtzy")
    assert client.get("/processes/upload").status_code == 403
