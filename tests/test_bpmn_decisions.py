"""DMN decision tables in business rule tasks: uploaded with their diagram (several files or one
.zip), checked at deploy, versioned with it, shown in the diff, and run through the API."""

from __future__ import annotations

import io
import json
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import ProcessDefinition, ProcessInstance
from app.services.actor import SYSTEM
from app.services.design import modeling, versions
from app.services.identity import org
from tests.helpers import actor
from tests.test_web import login

pytestmark = pytest.mark.both_databases

SAMPLE = Path(__file__).resolve().parent / "samples" / "spiffarena_dmn"
URL = "/api/v1/process-definitions"
FORM = "wonderful/person.schema.json"
CALLED = "<spiffworkflow:calledDecisionId>wonderful</spiffworkflow:calledDecisionId>"


@pytest.fixture
def tokens(db):
    with db.write() as session:
        return {u: org.create_token(session, SYSTEM, u) for u in ("owner", "gtzy")}


def _h(token):
    return {"Authorization": f"Bearer {token}"}


def _files(bpmn: bytes | None = None, dmn: bytes | None = None) -> dict[str, bytes]:
    return {
        "sample_adapted.bpmn": bpmn or (SAMPLE / "sample_adapted.bpmn").read_bytes(),
        "wonderful.dmn": dmn or (SAMPLE / "wonderful.dmn").read_bytes(),
        FORM: (SAMPLE / FORM).read_bytes(),
    }


def _upload(client, token, files: dict[str, bytes], **form):
    parts = [(BytesIO(content), name) for name, content in files.items()]
    return client.post(
        URL, data={"file": parts, **form}, headers=_h(token), content_type="multipart/form-data"
    )


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(f"wonderful-process/{name}", content)
    return buffer.getvalue()


def _versions(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition))


def _run(client, tokens, db, person: str) -> dict:
    """Start the sample as an agency, choose the person; the finished instance's data."""
    agency = _h(tokens["gtzy"])
    started = client.post("/api/v1/processes/sample/instances", json={}, headers=agency)
    assert started.status_code == 201, started.json
    instance_id = started.json["instance_id"]
    (task,) = client.get("/api/v1/tasks", headers=agency).json
    assert task["bpmn_id"] == "choose_person"
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": {"person": person}}, headers=agency
    )
    assert done.status_code == 200, done.json
    detail = client.get(f"/api/v1/instances/{instance_id}", headers=agency).json
    assert detail["status"] == "completed"
    with db.read() as session:
        return json.loads(session.get(ProcessInstance, instance_id).state)["data"]


def test_the_spiffarena_dmn_example_runs_to_the_end_through_the_api(client, tokens, db):
    response = _upload(client, tokens["owner"], _files(), comment="SpiffArena 决策表示例")
    assert response.status_code == 201, response.json
    assert response.json["process_id"] == "sample"
    assert _run(client, tokens, db, "Mike")["wonderfulness"] == "Powerful wonderful"
    assert _run(client, tokens, db, "Dan")["wonderfulness"] == "pretty wonderful"


def test_a_zip_of_the_same_files_is_the_same_version(client, tokens, db):
    assert _upload(client, tokens["owner"], _files()).status_code == 201
    zipped = _upload(client, tokens["owner"], {"sample.zip": _zip(_files())})
    assert zipped.status_code == 200, zipped.json
    assert zipped.json["unchanged"] is True and zipped.json["version"] == 1
    assert _run(client, tokens, db, "Kevin")["wonderfulness"] == "Very wonderful"


def test_the_unchanged_spiffarena_file_is_refused_for_its_missing_lane(client, tokens, db):
    files = {"sample.bpmn": (SAMPLE / "sample.bpmn").read_bytes(), **_files()}
    del files["sample_adapted.bpmn"]
    response = _upload(client, tokens["owner"], files)
    assert response.status_code == 400
    assert any("泳道" in e["message"] for e in response.json["errors"]), response.json


def test_a_missing_decision_table_is_refused_naming_the_task_and_the_decision(client, tokens, db):
    before = _versions(db)
    files = _files()
    del files["wonderful.dmn"]
    response = _upload(client, tokens["owner"], files)
    assert response.status_code == 400
    [error] = response.json["errors"]
    assert error["element_id"] == "Activity_0a21ntf"
    assert "决策表 wonderful 不存在" in error["message"]
    assert _versions(db) == before


SECOND_RULE_AND_A_TIMER = """
    <bpmn:sequenceFlow id="Flow_1hd6o66" sourceRef="Activity_0a21ntf" targetRef="rate_again" />
    <bpmn:businessRuleTask id="rate_again" name="再评一次">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>missing_table</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_1hd6o66</bpmn:incoming>
      <bpmn:outgoing>Flow_rated</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="Flow_rated" sourceRef="rate_again" targetRef="wait_a_bit" />
    <bpmn:intermediateCatchEvent id="wait_a_bit" name="稍候">
      <bpmn:incoming>Flow_rated</bpmn:incoming>
      <bpmn:outgoing>Flow_waited</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerEventDefinition_empty" />
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="Flow_waited" sourceRef="wait_a_bit" targetRef="Event_1qb1u6a" />
"""


def test_a_missing_table_is_said_with_the_other_tables_and_the_diagrams_own_problems(
    client, tokens, db
):
    """A rule task naming a decision no file defines, a bad cell in another table and a timer
    the engine cannot read after them: all three in one answer, each with its element, the
    engine's own words kept for the missing table."""
    before = _versions(db)
    bpmn = (SAMPLE / "sample_adapted.bpmn").read_text(encoding="utf-8")
    bpmn = bpmn.replace(
        '<bpmn:sequenceFlow id="Flow_1hd6o66" sourceRef="Activity_0a21ntf" '
        'targetRef="Event_1qb1u6a" />',
        SECOND_RULE_AND_A_TIMER,
    ).replace(
        "<bpmn:incoming>Flow_1hd6o66</bpmn:incoming>\n    </bpmn:endEvent>",
        "<bpmn:incoming>Flow_waited</bpmn:incoming>\n    </bpmn:endEvent>",
    )
    assert "rate_again" in bpmn and "Flow_waited</bpmn:incoming>\n    </bpmn:endEvent>" in bpmn
    dmn = (SAMPLE / "wonderful.dmn").read_text(encoding="utf-8")
    dmn = dmn.replace('<text>"Dan"</text>', "<text>[1..10]</text>")
    response = _upload(client, tokens["owner"], _files(bpmn.encode(), dmn.encode()))
    assert response.status_code == 400
    errors = [p for p in response.json["problems"] if p["severity"] == "error"]
    [missing] = [e for e in errors if e["element_id"] == "rate_again"]
    assert "决策表 missing_table 不存在" in missing["message"]
    assert "已上传的决策：wonderful" in missing["message"]
    assert 'No DMN Diagram available with id "missing_table"' in missing["detail"]
    [cell] = [e for e in errors if e["element_id"] == "wonderful"]
    assert "第 1 条规则的第 1 个输入条件" in cell["message"]
    [timer] = [e for e in errors if e["element_id"] == "wait_a_bit"]
    assert "定时器没有时间设置" in timer["message"] and timer["detail"]
    assert _versions(db) == before


def test_every_bad_cell_is_reported_at_once_and_nothing_is_stored(client, tokens, db):
    before = _versions(db)
    dmn = (SAMPLE / "wonderful.dmn").read_text(encoding="utf-8")
    dmn = dmn.replace('<text>"Dan"</text>', "<text>[1..10]</text>")
    dmn = dmn.replace('<text>"Very wonderful"</text>', "<text>very wonderful(</text>")
    response = _upload(client, tokens["owner"], _files(dmn=dmn.encode()))
    assert response.status_code == 400
    messages = [e["message"] for e in response.json["errors"]]
    assert any("第 1 条规则的第 1 个输入条件" in m and "1 <= ? <= 10" in m for m in messages)
    assert any("第 2 条规则的第 1 个输出" in m for m in messages)
    assert {e["element_id"] for e in response.json["errors"]} == {"wonderful"}
    assert _versions(db) == before


def test_an_unsupported_hit_policy_is_refused_in_chinese(client, tokens, db):
    dmn = (SAMPLE / "wonderful.dmn").read_text(encoding="utf-8")
    table = '<decisionTable id="DecisionTable_02m334z"'
    dmn = dmn.replace(table, f'{table} hitPolicy="PRIORITY"')
    response = _upload(client, tokens["owner"], _files(dmn=dmn.encode()))
    assert response.status_code == 400
    assert "命中策略 PRIORITY（优先级）不受支持" in response.json["errors"][0]["message"]


def test_camunda_decision_ref_is_read(client, tokens, db):
    bpmn = (SAMPLE / "sample_adapted.bpmn").read_text(encoding="utf-8")
    bpmn = bpmn.replace(CALLED, "").replace(
        '<bpmn:businessRuleTask id="Activity_0a21ntf"',
        '<bpmn:businessRuleTask xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        'camunda:decisionRef="wonderful" id="Activity_0a21ntf"',
    )
    response = _upload(client, tokens["owner"], _files(bpmn=bpmn.encode()))
    assert response.status_code == 201, response.json
    assert _run(client, tokens, db, "Kevin")["wonderfulness"] == "Very wonderful"


def test_a_zip_bomb_is_refused_before_it_is_unpacked(client, tokens, db):
    before = _versions(db)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sample.bpmn", (SAMPLE / "sample_adapted.bpmn").read_bytes())
        archive.writestr("padding.json", b" " * (50 * 1024 * 1024))
    response = _upload(client, tokens["owner"], {"bomb.zip": buffer.getvalue()})
    assert response.status_code == 400
    assert "压缩炸弹" in response.json["errors"][0]["message"], response.json
    assert _versions(db) == before


def test_a_zip_entry_leaving_its_folder_is_refused(client, tokens, db):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../sample.bpmn", (SAMPLE / "sample_adapted.bpmn").read_bytes())
    response = _upload(client, tokens["owner"], {"x.zip": buffer.getvalue()})
    assert response.status_code == 400
    assert "不安全的路径" in response.json["errors"][0]["message"]


def test_a_changed_decision_table_is_a_new_version_shown_in_the_diff(client, tokens, db):
    assert _upload(client, tokens["owner"], _files()).status_code == 201
    dmn = (SAMPLE / "wonderful.dmn").read_text(encoding="utf-8")
    dmn = dmn.replace('<text>"Powerful wonderful"</text>', '<text>"Most wonderful"</text>')
    response = _upload(client, tokens["owner"], _files(dmn=dmn.encode()), comment="改结论")
    assert response.status_code == 201, response.json
    assert response.json["version"] == 2
    assert _run(client, tokens, db, "Mike")["wonderfulness"] == "Most wonderful"
    with db.read() as session:
        diff = versions.diff(session, "sample", 1, 2)
    [change] = diff.changes
    assert (change.change, change.element_id, change.kind) == ("changed", "wonderful", "决策表")
    assert any('"Powerful wonderful"' in d and '"Most wonderful"' in d for d in change.details)


def test_the_web_modeler_keeps_the_tables_and_forms_in_the_next_version(
    client, tokens, db, settings
):
    assert _upload(client, tokens["owner"], _files()).status_code == 201
    diagram = (SAMPLE / "sample_adapted.bpmn").read_text(encoding="utf-8")
    edited = diagram.replace('name="选择人员"', 'name="选择一位人员"').encode()
    deployed = modeling.deploy(
        db, actor(db, "owner"), "sample", edited, "改任务名称", settings.forms_dir
    )
    assert deployed.definition.version == 2
    assert _run(client, tokens, db, "Dan")["wonderfulness"] == "pretty wonderful"


def test_a_version_downloads_as_a_zip_that_deploys_as_the_same_version(client, tokens):
    assert _upload(client, tokens["owner"], _files()).status_code == 201
    login(client, "owner")
    download = client.get("/processes/sample/versions/1.zip")
    assert download.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    assert set(names) == {"sample.bpmn", FORM, "wonderful.dmn"}
    again = _upload(client, tokens["owner"], {"sample-v1.zip": download.data})
    assert again.status_code == 200, again.json
    assert again.json["unchanged"] is True and again.json["version"] == 1
