"""What a diagram says about each element, read from the XML (for diffs between versions).

Only lxml: the spec SpiffWorkflow builds aligns tasks for running, while a reader wants the
diagram's own elements — names, lanes, deadlines, forms — by their BPMN ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.engine.parser import (
    BPMN_NS,
    SPIFF_NS,
    adopt_camunda_conventions,
    parse_bpmn_root,
)

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
FLOW_ELEMENTS = {
    "userTask", "task", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "startEvent", "endEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway",
    "parallelGateway", "inclusiveGateway", "eventBasedGateway", "sequenceFlow",
}  # fmt: skip


@dataclass
class ElementOutline:
    element_id: str
    kind: str  # the BPMN element's local name: userTask, boundaryEvent, sequenceFlow ...
    name: str
    lane: str = ""
    properties: dict[str, str] = field(default_factory=dict)
    timer: str = ""  # the timeDate / timeDuration / timeCycle expression
    interrupting: bool = True
    attached_to: str = ""
    scripts: dict[str, str] = field(default_factory=dict)  # script / preScript / postScript
    called: str = ""
    source: str = ""
    target: str = ""
    condition: str = ""


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(node: Any, path: str) -> str:
    found = node.find(path)
    return (found.text or "").strip() if found is not None else ""


def outline(content: bytes) -> dict[str, ElementOutline]:
    """Element id -> outline, for every flow element of the executable process(es)."""
    root = adopt_camunda_conventions(parse_bpmn_root(content))
    lanes: dict[str, str] = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id") or ""
    found: dict[str, ElementOutline] = {}
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        for node in process.iter():
            kind = _local(node.tag)
            if kind not in FLOW_ELEMENTS or not node.get("id") or node.tag.find(BPMN_NS) < 0:
                continue
            found[node.get("id")] = _element(node, kind, lanes)
    return found


def _element(node: Any, kind: str, lanes: dict[str, str]) -> ElementOutline:
    element_id = node.get("id")
    item = ElementOutline(element_id, kind, (node.get("name") or "").strip())
    item.lane = lanes.get(element_id, "")
    extensions = node.find(f"{{{BPMN_NS}}}extensionElements")
    if extensions is not None:
        for prop in extensions.iter(f"{{{SPIFF_NS}}}property"):
            item.properties[prop.get("name") or ""] = prop.get("value") or ""
        for script in ("preScript", "postScript"):
            text = _text(extensions, f"{{{SPIFF_NS}}}{script}")
            if text:
                item.scripts[script] = text
    if kind == "scriptTask":
        item.scripts["script"] = _text(node, f"{{{BPMN_NS}}}script")
    timer = node.find(f"{{{BPMN_NS}}}timerEventDefinition")
    if timer is not None:
        for part in ("timeDate", "timeDuration", "timeCycle"):
            text = _text(timer, f"{{{BPMN_NS}}}{part}")
            if text:
                item.timer = text
    item.interrupting = node.get("cancelActivity", "true") != "false"
    item.attached_to = node.get("attachedToRef") or ""
    item.called = node.get("calledElement") or ""
    item.source, item.target = node.get("sourceRef") or "", node.get("targetRef") or ""
    item.condition = _text(node, f"{{{BPMN_NS}}}conditionExpression")
    return item
