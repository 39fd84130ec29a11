"""The rules a definition must pass before deployment, each with a diagram that breaks it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import InvalidInput
from app.models import ProcessDefinition
from app.services.design import definitions
from tests.helpers import actor
from tests.versioning import MEDIATION, REPLY_DEADLINE, ROOT, shipped

FORMS = ROOT / "forms"
REGISTER_PROPS = (
    '<spiffworkflow:property name="documents" value="assignment_notice" />\n'
    "        </spiffworkflow:properties>"
)


def _problems(db, xml: str):
    with db.read() as session:
        return definitions.validate(session, xml.encode("utf-8"), FORMS)


def _errors(db, xml: str) -> list[tuple[str, str]]:
    return [(p.element_id, p.message) for p in _problems(db, xml) if p.severity == "error"]


def _with_script(kind: str, source: str) -> str:
    return shipped(MEDIATION).replace(
        REGISTER_PROPS,
        f"{REGISTER_PROPS}\n        <spiffworkflow:{kind}>{source}</spiffworkflow:{kind}>",
    )


@pytest.mark.parametrize("path", sorted((ROOT / "processes").glob("*.bpmn")), ids=lambda p: p.stem)
def test_every_shipped_process_validates_without_errors_or_warnings(db, path):
    assert _problems(db, path.read_text(encoding="utf-8")) == []


def test_a_deadline_on_a_field_the_process_does_not_have_is_an_error(db):
    xml = shipped(MEDIATION).replace(REPLY_DEADLINE, "working_days(notice_day, 3)")
    [(element, message)] = _errors(db, xml)
    assert element == "agency_reply_deadline"
    assert "流程数据中没有的字段：notice_day" in message


def test_the_day_count_may_be_a_field_too_but_it_must_exist(db):
    xml = shipped(MEDIATION).replace(REPLY_DEADLINE, "working_days(received(), reply_days)")
    assert [m for _, m in _errors(db, xml)] == [
        "期限表达式使用了流程数据中没有的字段：reply_days（应为本流程表单的字段、脚本赋值的变量或启动时提供的数据）"
    ]


def test_a_variable_a_script_assigns_counts_as_a_field(db):
    xml = _with_script("postScript", "reply_from = received_on").replace(
        REPLY_DEADLINE, "working_days(reply_from, 3)"
    )
    assert _errors(db, xml) == []


def test_service_start_data_counts_as_a_field(db):
    xml = shipped(MEDIATION).replace(REPLY_DEADLINE, "working_days(received_on, 3)")
    assert _errors(db, xml) == []  # cases.register puts received_on into the data


def test_a_deadline_must_use_the_calendar(db):
    xml = shipped(MEDIATION).replace(REPLY_DEADLINE, '"2026-10-10T17:00:00+08:00"')
    assert _errors(db, xml) == [
        (
            "agency_reply_deadline",
            "期限表达式须使用 working_days、calendar_days、working_days_before 或 day_end",
        )
    ]
    wrong_arity = shipped(MEDIATION).replace(REPLY_DEADLINE, "working_days(received())")
    assert "须有 2 个参数" in _errors(db, wrong_arity)[0][1]


def test_a_deadline_may_not_count_from_a_date_its_own_party_types(db):
    """The center times its scheduling: it may not count it from a date it types itself."""
    own = 'working_days(submitted("agency_reply"), 3)'
    xml = shipped(MEDIATION).replace(own, "working_days(mediation_time, 3)")
    [(element, message)] = _errors(db, xml)
    assert element == "schedule_deadline"
    assert "不能自被计时一方自己填写的日期起算：mediation_time" in message
    assert "received()" in message


def test_recorded_start_events_are_checked(db):
    unknown = shipped(MEDIATION).replace(REPLY_DEADLINE, 'working_days(submitted("nope"), 3)')
    assert "submitted() 引用的任务不存在：nope" in _errors(db, unknown)[0][1]
    argument = shipped(MEDIATION).replace(REPLY_DEADLINE, "working_days(received(1), 3)")
    assert _errors(db, argument) == [("agency_reply_deadline", "received() 不带参数")]
    in_script = _with_script("postScript", 'x = submitted("register_materials")')
    assert _errors(db, in_script) == [
        ("register_materials", "submitted() 只能用于期限表达式（定时边界事件）")
    ]
    purpose = shipped(MEDIATION).replace(
        '<spiffworkflow:property name="basis" value="text" />',
        '<spiffworkflow:property name="purpose" value="alarm" />',
        1,
    )
    assert "未知的定时器用途：alarm" in _errors(db, purpose)[0][1]


def test_a_script_outside_the_sandbox_is_an_error(db):
    [(element, message)] = _errors(db, _with_script("preScript", "import os"))
    assert element == "register_materials"
    assert "脚本（preScript）无效" in message and "import" in message
    [(_, dunder)] = _errors(db, _with_script("postScript", "x = ().__class__"))
    assert "脚本（postScript）无效" in dunder


def test_an_unknown_role_assignee_or_escalation_target_is_an_error(db):
    xml = (
        shipped(MEDIATION)
        .replace(
            REGISTER_PROPS,
            REGISTER_PROPS.replace(
                "<spiffworkflow:property",
                '<spiffworkflow:property name="role" value="chief" />\n'
                '          <spiffworkflow:property name="assignee" value="whoever" />\n'
                "          <spiffworkflow:property",
            ),
        )
        .replace('value="center,agency_head"', 'value="center,mayor"')
    )
    errors = _errors(db, xml)
    assert any(e == "register_materials" and "未知的角色：chief" in m for e, m in errors)
    assert any(e == "register_materials" and "未知的指派规则：whoever" in m for e, m in errors)
    assert any(e == "agency_reply_deadline" and "未知的催办对象：mayor" in m for e, m in errors)


def test_a_user_task_outside_every_lane_is_an_error(db):
    xml = shipped(MEDIATION).replace("<bpmn:flowNodeRef>agency_reply</bpmn:flowNodeRef>", "")
    assert ("agency_reply", "用户任务不在任何泳道中") in _errors(db, xml)


def test_a_user_task_without_a_form_or_with_a_missing_form_is_an_error(db):
    xml = shipped(MEDIATION).replace(
        "pre_litigation_mediation/agency_reply.schema.json",
        "pre_litigation_mediation/agency_answer.schema.json",
    )
    assert (
        "agency_reply",
        "表单文件不存在：pre_litigation_mediation/agency_answer.schema.json"
        "（请随流程图一并上传，或放入表单目录）",
    ) in (_errors(db, xml))


def test_warnings_are_shown_but_do_not_block(db):
    xml = (
        shipped(MEDIATION)
        .replace(
            '<bpmn:userTask id="record_outcome" name="记录调处结果">',
            '<bpmn:userTask id="record_outcome">',
        )
        .replace(
            'cancelActivity="false" attachedToRef="agency_reply"', 'attachedToRef="agency_reply"'
        )
    )
    warnings = {(p.element_id, p.message) for p in _problems(db, xml) if p.severity == "warning"}
    assert warnings == {
        ("record_outcome", "用户任务没有名称（待办中将显示其 ID）"),
        (
            "agency_reply_deadline",
            "期限计时器为中断型：到期时将取消所附的任务（期限一般应设为非中断型）",
        ),
    }
    assert _errors(db, xml) == []
    with db.write() as session:
        deployed = definitions.deploy(session, actor(db, "owner"), xml.encode(), FORMS)
        assert deployed.version == 2


def test_deploy_refuses_a_definition_with_errors_and_stores_nothing(db):
    xml = shipped(MEDIATION).replace(REPLY_DEADLINE, "working_days(notice_day, 3)")
    with db.read() as session:
        before = session.scalar(select(func.count()).select_from(ProcessDefinition))
    with pytest.raises(InvalidInput) as refused, db.write() as session:
        definitions.deploy(session, actor(db, "owner"), xml.encode(), FORMS)
    assert "agency_reply_deadline" in refused.value.errors
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ProcessDefinition)) == before


def test_a_camunda_modeler_diagram_reads_its_camunda_properties(db):
    content = (ROOT / "tests" / "samples" / "modelers" / "camunda_modeler.bpmn").read_bytes()
    checked = definitions.check(content, FORMS)
    forms = {
        t.bpmn_id: t.properties.get("formJsonSchemaFilename") for t in checked.parsed.user_tasks
    }
    assert forms == {
        "revise_draft": "major_enforcement_decision/revise_draft.schema.json",
        "legal_review": "major_enforcement_decision/legal_review.schema.json",  # camunda:formKey
    }
    [review] = [t for t in checked.parsed.user_tasks if t.bpmn_id == "legal_review"]
    assert review.timers[0].properties == {"escalate_to": "agency_head"}
    [warning] = checked.problems  # historyTimeToLive: Camunda's, without effect here
    assert warning.severity == "warning" and "camunda:historyTimeToLive" in warning.message


def test_a_timer_that_is_not_on_a_user_task_is_checked_too(db):
    wait = (
        '<bpmn:sequenceFlow id="Flow_register_reply" sourceRef="register_materials" '
        'targetRef="wait_a_day" />\n'
        '    <bpmn:intermediateCatchEvent id="wait_a_day" name="等待一个工作日">\n'
        '      <bpmn:timerEventDefinition id="TimerEventDefinition_wait">\n'
        '        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">working_days(notice_dat, 1)'
        "</bpmn:timeDate>\n      </bpmn:timerEventDefinition>\n"
        "    </bpmn:intermediateCatchEvent>\n"
        '    <bpmn:sequenceFlow id="Flow_wait_reply" sourceRef="wait_a_day" '
        'targetRef="agency_reply" />'
    )
    original = (
        '<bpmn:sequenceFlow id="Flow_register_reply" sourceRef="register_materials" '
        'targetRef="agency_reply" />'
    )
    xml = shipped(MEDIATION).replace(original, wait)
    assert _errors(db, xml) == [
        ("wait_a_day", "期限表达式使用了流程数据中没有的字段：notice_dat"
         "（应为本流程表单的字段、脚本赋值的变量或启动时提供的数据）"),
    ]  # fmt: skip
    assert _problems(db, xml.replace("notice_dat,", "received_on,")) == []
    on_event = xml.replace("working_days(notice_dat, 1)", "working_days(received(), 1)")
    assert _errors(db, on_event) == [("wait_a_day", "received() 只能用于附在用户任务上的期限")]
