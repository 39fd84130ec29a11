"""Every public diagram in tests/samples/external (Camunda examples, SpiffWorkflow and
SpiffArena test models, bpmn-moddle fixtures) uploaded through the API: refused with every
reason at once, each named and in Chinese, nothing stored; never a 500."""

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

CORPUS = Path(__file__).resolve().parent / "samples" / "external"
CJK = re.compile(r"[\u4e00-\u9fff]")
NO_LANE = "开始事件须位于某一泳道中"
JUEL = "JUEL"
SERVICE = "不调用外部系统"

# file -> (element id, words its refusal must contain), every one of which must be reported
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "bpmn-moddle-documentation-extension-elements.bpmn": [("Process_1", "没有开始事件")],
    "bpmn-moddle-duplicate-ids.bpmn": [("test", "重复")],
    "bpmn-moddle-simple.bpmn": [("Process_1", "没有开始事件")],
    "camunda-call-activity-main.bpmn": [
        ("CallActivity_0ahffuc", "“subProcess”未部署"), ("StartEvent_1", NO_LANE),
    ],
    "camunda-invoice-approval.bpmn": [
        ("StartEvent_1", NO_LANE), ("UserTask_1", "没有指定表单"),
    ],
    "camunda-job-announcement.bpmn": [
        ("Flow_1gfi885", "请改写为 approved"), ("Flow_0yjunvn", "请改写为 not approved"),
        ("mail", SERVICE), ("publication", "未部署"), ("Event_0nt3pjb", "泳道“Automated”"),
    ],
    "camunda-loan-approval-embedded-form.bpmn": [("StartEvent_1", NO_LANE)],
    "camunda-message-start.bpmn": [("StartEvent_1", NO_LANE)],
    "camunda-model-api-form-data.bpmn": [
        ("flow3", "请改写为 foo != 'bar'"), ("flow4", "请改写为 foo == 'bar'"),
        ("serviceTask", SERVICE), ("scriptTask", "语法错误"),
    ],
    "camunda-spring-boot-sample.bpmn": [("ServiceTask_1", "camunda:delegateExpression")],
    "camunda-synchronous-service.bpmn": [("ServiceTask_1", "camunda:class")],
    "camunda-twitter-demo.bpmn": [
        ("no", "not approved"), ("yes", JUEL), ("service_task_publish_on_twitter", SERVICE),
        ("service_task_send_rejection_notification", SERVICE),
    ],
    "spiff-business-rule-task.bpmn": [("Activity_0diq2z1", "决策表")],
    "spiff-camunda-multiinstance-collection.bpmn": [("any_task", "loopDataInputRef")],
    "spiff-collaboration.bpmn": [("StartEvent_1", NO_LANE)],
    "spiff-exclusive-gateway-no-default.bpmn": [("StartEvent_1", NO_LANE)],
    "spiff-lanes.bpmn": [("StartEvent_1", "泳道“A”"), ("Activity_B1", "泳道“B”")],
    "spiff-multiinstance-loop-input.bpmn": [("StartEvent_1", NO_LANE)],
    "spiff-non-executable.bpmn": [("Process_14di7kj", "勾选“可执行”")],
    "spiff-prescript-postscript.bpmn": [("Event_1ftsuzw", NO_LANE)],
    "spiff-script-test.bpmn": [("StartEvent_1", NO_LANE)],
    "spiff-service-task.bpmn": [
        ("Activity-1inxqgx", "bamboohr/GetPayRate"), ("Activity_12erefa", SERVICE),
    ],
    "spiffarena-hello_world.bpmn": [("StartEvent_1", NO_LANE)],
    "spiffarena-message-receive.bpmn": [("StartEvent_1", NO_LANE)],
    "spiffarena-message-start-event-with-multiple-forms.bpmn": [
        ("message_start_event_one", "不允许属性 messageRef"),
    ],
    "spiffarena-read_etc_passwd.bpmn": [("StartEvent_1", NO_LANE)],
    "spiffarena-script_error_with_task_data.bpmn": [("StartEvent_1", NO_LANE)],
    "spiffarena-test-message-process.bpmn": [
        ("Activity_1re9jdj", "http/PostRequest"), ("StartEvent_1", NO_LANE),
    ],
}  # fmt: skip
# file -> elements that must not be refused: a send task that only sends a message to another
# process is the product's to deliver
ACCEPTED: dict[str, list[str]] = {
    "spiff-collaboration.bpmn": ["ActivitySendLetter"],
    "spiffarena-test-message-process.bpmn": ["Activity_1j5ojcj"],
}


def test_the_corpus_and_its_readme_list_the_same_files():
    files = {p.name for p in CORPUS.glob("*.bpmn")}
    assert files == set(EXPECTED)
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    for name in files:
        assert f"`{name}`" in readme, name


@pytest.fixture
def owner(db):
    with db.write() as session:
        return org.create_token(session, SYSTEM, "owner")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_external_diagram_is_refused_with_every_reason_named(client, db, owner, name):
    with db.read() as session:
        before = session.scalar(select(func.count()).select_from(ProcessDefinition))
    content = (CORPUS / name).read_bytes()
    response = client.post(
        "/api/v1/process-definitions",
        data={"file": (BytesIO(content), name)},
        headers={"Authorization": f"Bearer {owner}"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    problems = response.json["problems"]
    errors = [p for p in problems if p["severity"] == "error"]
    for problem in problems:
        assert CJK.search(problem["message"]), problem
        assert problem["element_id"] or problem["line"], problem  # it says where
    for element, words in EXPECTED[name]:
        said = [p["message"] for p in errors if p["element_id"] == element]
        assert any(words in message for message in said), (element, words, said)
    for element in ACCEPTED.get(name, []):
        assert not [p for p in errors if p["element_id"] == element], element
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ProcessDefinition)) == before
