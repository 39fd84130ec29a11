"""The lean write path changes nothing a person sees: prefilled answers, histories, audit."""

from __future__ import annotations

from sqlalchemy import select

from app.models import AuditEvent
from app.services.actor import SYSTEM
from app.services.design import definitions
from app.services.execution import instances
from app.services.records import audit
from tests.helpers import actor
from tests.samples import PathData, load
from tests.test_mechanisms_service import _open_tasks, complete, start

COND = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
FORM = "major_enforcement_decision/revise_draft.schema.json"
ROUNDS_BPMN = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Definitions_revise_rounds" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="revise_rounds" name="逐轮修改" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1"><bpmn:lane id="Lane_1" name="区调处中心">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>revise</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>more</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="revise" name="修改">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="{FORM}" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f_again</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="more"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f_again</bpmn:outgoing><bpmn:outgoing>f_done</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="end"><bpmn:incoming>f_done</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="revise" />
    <bpmn:sequenceFlow id="f2" sourceRef="revise" targetRef="more" />
    <bpmn:sequenceFlow id="f_again" sourceRef="more" targetRef="revise">
      {COND}not abandon</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_done" sourceRef="more" targetRef="end">
      {COND}abandon</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>
""".encode()
ROUND = {"revision_note": "第一轮", "proposed_decision": "罚款"}


def test_a_task_that_repeats_at_once_does_not_offer_the_last_rounds_answers(db, settings):
    """A task whose next round starts in the same step: its answers are not prefilled again
    (process data it did not answer still is)."""
    with db.write() as session:
        definition = definitions.deploy(
            session, SYSTEM, ROUNDS_BPMN, settings.forms_dir, "revise_rounds.bpmn"
        )
        instance = instances.start(
            session, actor(db, "center"), definition, {"proposed_decision": "警告"}
        )
    (first,) = _open_tasks(db, instance.id)
    assert first.prefill == {"proposed_decision": "警告"}
    complete(db, settings, "center", first.id, {**ROUND, "abandon": False})
    (second,) = _open_tasks(db, instance.id)
    assert second.bpmn_id == "revise" and second.id != first.id
    assert not second.prefill
    complete(db, settings, "center", second.id, {**ROUND, "abandon": True})
    assert _open_tasks(db, instance.id) == []


def test_every_step_leaves_one_chained_audit_event(db, settings):
    instance_id = start(db, "major_enforcement_decision", "gtzy")
    (task,) = _open_tasks(db, instance_id)
    sample = load("major_enforcement_decision")
    path = PathData(sample["paths"]["failed_then_passed"])
    complete(db, settings, "gtzy", task.id, path.next(task.bpmn_id))
    with db.read() as session:
        events = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.instance_id == instance_id)
                .order_by(AuditEvent.id)
            )
        )
        assert [e.action for e in events] == ["instance.start", "task.complete"]
        assert events[1].detail["task_id"] == task.id
        assert audit.verify(session).ok
