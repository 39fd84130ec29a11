"""A new process in the modeler (新建流程): a blank executable template (start → one task in
one lane, with the default form the page makes → end) or a copy of a deployed process under a
new id. Nothing is stored until the page deploys it (``modeling.deploy``, checked like any
version)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.services.design import definitions, modeling, page_forms

PROCESS_ID = re.compile(r"^[a-z][a-z0-9_]{2,60}$")
MAX_NAME = 100
BLANK = ""  # the template value of the blank diagram

# isExecutable="true": SpiffWorkflow skips a process that is not (bpmn-js' own new diagram)
_BLANK_XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="Definitions_{pid}" targetNamespace="http://bpmn.io/schema/bpmn" exporter="huajie">
  <bpmn:collaboration id="Collaboration_{pid}">
    <bpmn:participant id="Participant_{pid}" name={name} processRef="{pid}" />
  </bpmn:collaboration>
  <bpmn:process id="{pid}" name={name} isExecutable="true">
    <bpmn:laneSet id="LaneSet_{pid}">
      <bpmn:lane id="Lane_center" name="区调处中心">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>first_task</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="开始"><bpmn:outgoing>Flow_start</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="first_task" name="第一步">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="{pid}/first_task.schema.json" />
          <spiffworkflow:property name="formUiSchemaFilename" value="{pid}/first_task.uischema.json" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_start</bpmn:incoming><bpmn:outgoing>Flow_end</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end" name="办结"><bpmn:incoming>Flow_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_start" sourceRef="start" targetRef="first_task" />
    <bpmn:sequenceFlow id="Flow_end" sourceRef="first_task" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_{pid}">
    <bpmndi:BPMNPlane id="BPMNPlane_{pid}" bpmnElement="Collaboration_{pid}">
      <bpmndi:BPMNShape id="Participant_{pid}_di" bpmnElement="Participant_{pid}" isHorizontal="true">
        <dc:Bounds x="160" y="80" width="520" height="200" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_center_di" bpmnElement="Lane_center" isHorizontal="true">
        <dc:Bounds x="190" y="80" width="490" height="200" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="232" y="162" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="first_task_di" bpmnElement="first_task"><dc:Bounds x="340" y="140" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="522" y="162" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_start_di" bpmnElement="Flow_start"><di:waypoint x="268" y="180" /><di:waypoint x="340" y="180" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_end_di" bpmnElement="Flow_end"><di:waypoint x="440" y="180" /><di:waypoint x="522" y="180" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""  # noqa: E501


def _copied(xml: str, old: str, new: str, name: str) -> str:
    """``xml`` with the process ``old`` renamed ``new`` (its id and every reference to it) and
    the process and its pool named ``name``."""
    xml = re.sub(rf'\b(id|bpmnElement|processRef)="{re.escape(old)}"', rf'\1="{new}"', xml)
    named = r"(<(?:bpmn:)?(?:process|participant)\b[^>]*?\bname=)\"[^\"]*\""
    return re.sub(named, lambda m: m.group(1) + quoteattr(name), xml)


def page_context(
    session: Session, process_id: str, name: str, template: str, forms_dir: Path
) -> dict[str, Any]:
    """The modeler page's start for a process not deployed yet; every problem of the id, the
    name and the template at once (``InvalidInput``)."""
    errors: dict[str, list[str]] = {}
    if not PROCESS_ID.match(process_id):
        errors["process_id"] = ["流程 ID 须为 3–61 位小写字母、数字或下划线，以字母开头"]
    elif definitions.latest_definition(session, process_id, required=False) is not None:
        errors["process_id"] = [f"流程 ID 已存在：{process_id}（请打开它的建模器修改）"]
    if not name.strip() or len(name) > MAX_NAME:
        errors["name"] = [f"请填写流程名称（至多 {MAX_NAME} 字）"]
    source = None
    if template != BLANK:
        source = definitions.latest_definition(session, template, required=False)
        if source is None:
            errors["template"] = ["请选择模板"]
    if errors:
        raise InvalidInput("未能新建流程，请按提示更正", errors)
    name = name.strip()
    made: dict[str, Any] = {}
    if source is None:
        xml = _BLANK_XML.format(pid=process_id, name=quoteattr(name))
        forms = modeling.process_forms(forms_dir, process_id)
        made = _first_task_form(forms_dir, process_id)
        forms = modeling.with_stored(forms, made)  # listed in the panel's form select
    else:
        xml = _copied(source.bpmn_xml, source.process_id, process_id, name)
        forms = modeling.process_forms(forms_dir, source.process_id)  # what the copy names
    context = {"process_id": process_id, "name": name, "version": 0, "xml": xml, "new": True}
    return context | modeling.vocabulary(forms) | {"made_forms": made}


def _first_task_form(forms_dir: Path, process_id: str) -> dict[str, Any]:
    """The blank diagram's task's default form (办理意见), made by the page unless the forms
    folder has one of that name already."""
    schema, ui = f"{process_id}/first_task.schema.json", f"{process_id}/first_task.uischema.json"
    if (forms_dir / schema).exists() or (forms_dir / ui).exists():
        return {}
    default = page_forms.default_form()
    return {schema: {**default["schema"], "title": "第一步"}, ui: default["uischema"]}
