"""Checks on the BPMN XML before SpiffWorkflow parses it, each reporting every finding.

SpiffWorkflow stops at its first problem and accepts some constructs that then fail, or do
nothing, at run time. These checks read the XML tree and name every such element at once:
schema (XSD) errors with their line and column, and what the product cannot run.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from SpiffWorkflow.spiff.parser.process import VALIDATOR

from app.engine import juel, wording
from app.engine.parser import BPMN_NS, CAMUNDA_NS, SPIFF_NS
from app.engine.problems import DefinitionProblem, DiagramFacts, MessageSend, MessageWait

CALENDAR_FUNCTIONS = ("working_days", "calendar_days", "working_days_before", "day_end")
MESSAGE_WAITS = ("startEvent", "intermediateCatchEvent", "boundaryEvent", "receiveTask")
MESSAGE_SENDS = ("intermediateThrowEvent", "endEvent", "sendTask")


def _q(local: str) -> str:
    return f"{{{BPMN_NS}}}{local}"


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _owner_id(node: Any) -> str:
    """The id of the element, or of the nearest enclosing element that has one."""
    while node is not None:
        if node.get("id"):
            return str(node.get("id"))
        node = node.getparent()
    return ""


def _at(node: Any) -> dict[str, Any]:
    return {"element_id": _owner_id(node), "line": getattr(node, "sourceline", None)}


def schema_problems(root: Any) -> list[DefinitionProblem]:
    """Every XSD error of the file (SpiffWorkflow's validator reports only the last one)."""
    VALIDATOR.preprocess(root)
    schema = VALIDATOR.validator
    if schema.validate(root):
        return []
    by_line: dict[int, Any] = {}
    for node in root.iter():
        if isinstance(node.tag, str) and node.sourceline is not None:
            by_line.setdefault(node.sourceline, node)
    found = []
    for entry in schema.error_log:
        english = entry.message
        node = by_line.get(entry.line)
        element_id = _owner_id(node) if node is not None else ""
        message = wording.schema_message(english)
        duplicate = re.search(r"'([^']*)' is not a valid value of the atomic type 'xs:ID'", english)
        if duplicate:
            element_id = duplicate[1]
            lines = [str(n.sourceline) for n in root.iter() if n.get("id") == element_id]
            if len(lines) > 1:
                message = (
                    f"ID“{element_id}”重复（第 {'、'.join(lines)} 行）：同一文件中的 ID 须唯一"
                )
        found.append(
            DefinitionProblem(
                element_id,
                message,
                detail=english,
                line=entry.line or None,
                column=entry.column or None,
            )  # fmt: skip
        )
    return found


def model_problems(root: Any, known_processes: set[str]) -> list[DefinitionProblem]:
    """What SpiffWorkflow would accept but the product cannot run, or would run wrongly.

    ``known_processes``: process ids a call activity may call besides the file's own."""
    found: list[DefinitionProblem] = []
    found += _flows_without_ids(root)
    found += _juel(root)
    found += _compensation(root)
    found += _service_tasks(root)
    found += _multi_instance(root)
    found += _calendar_in_timers(root)
    found += _callees(root, known_processes)
    found += _start_events(root)
    return found


def _flows_without_ids(root: Any) -> list[DefinitionProblem]:
    return [
        DefinitionProblem(
            "",
            f"从“{flow.get('sourceRef', '?')}”到“{flow.get('targetRef', '?')}”的顺序流没有 ID："
            "没有 ID 的顺序流会被引擎忽略（流程将在此中断）。请在建模工具中重新连线或补上 ID",
            line=flow.sourceline,
        )
        for flow in root.iter(_q("sequenceFlow"))
        if not flow.get("id")
    ]


EXPRESSION_PLACES = {
    "conditionExpression": "条件表达式",
    "loopCardinality": "多实例次数",
    "completionCondition": "多实例完成条件",
    "timeDate": "定时器时间",
    "timeDuration": "定时器时长",
    "timeCycle": "定时器周期",
    "condition": "条件事件的条件",
}


def _juel(root: Any) -> list[DefinitionProblem]:
    found = []
    for node in root.iter():
        place = EXPRESSION_PLACES.get(_local(node.tag))
        if place and node.tag.startswith(f"{{{BPMN_NS}}}") and juel.is_juel(node.text or ""):
            owner = node.getparent()  # the flow or event, not the expression's own id
            if _local(owner.tag) == "timerEventDefinition":
                owner = owner.getparent()
            found.append(DefinitionProblem(**_at(owner), message=juel.refusal(node.text, place)))
    for node in root.iter(_q("multiInstanceLoopCharacteristics")):
        collection = node.get(f"{{{CAMUNDA_NS}}}collection") or ""
        if juel.is_juel(collection):
            found.append(
                DefinitionProblem(**_at(node), message=juel.refusal(collection, "多实例集合"))
            )
    return found


def _compensation(root: Any) -> list[DefinitionProblem]:
    found = []
    for node in root.iter(_q("compensateEventDefinition")):
        found.append(
            DefinitionProblem(
                **_at(node.getparent()),
                message="补偿事件（compensation）：本产品不执行补偿，此事件将不起作用。"
                "请改为显式的撤销任务（由人办理）或脚本任务",
            )
        )
    for node in root.iter():
        if isinstance(node.tag, str) and node.get("isForCompensation") == "true":
            found.append(
                DefinitionProblem(
                    **_at(node),
                    message="补偿处理任务（isForCompensation）：本产品不执行补偿，此任务永远不会运行",
                )
            )
    return found


def _service_tasks(root: Any) -> list[DefinitionProblem]:
    """A service task calls an outside system, and so does a send task implemented by one (an
    operator, a Camunda class or expression) or naming no message; a send task that sends a
    message to another process is the product's to deliver."""
    found = []
    for node in root.iter(_q("serviceTask"), _q("sendTask")):
        how = [a for a in ("class", "expression", "delegateExpression", "type", "topic")
               if node.get(f"{{{CAMUNDA_NS}}}{a}")]  # fmt: skip
        operator = node.find(f".//{{{SPIFF_NS}}}serviceTaskOperator")
        if node.tag == _q("sendTask") and not how and operator is None and _sends(node):
            continue
        named = f"（{'、'.join('camunda:' + a for a in how)}）" if how else ""
        if operator is not None:
            named = f"（操作 {operator.get('id', '')}）"
        found.append(
            DefinitionProblem(
                **_at(node),
                message=f"{wording.element_label(node.tag)}要调用外部系统{named}，"
                "本产品不调用外部系统：请改为脚本任务（在沙箱中计算）或用户任务（由人办理）",
            )
        )
    return found


def _sends(node: Any) -> bool:
    return bool(node.get("messageRef")) or node.find(_q("messageEventDefinition")) is not None


def _multi_instance(root: Any) -> list[DefinitionProblem]:
    found = []
    for node in root.iter(_q("multiInstanceLoopCharacteristics")):
        has = {_local(child.tag) for child in node if isinstance(child.tag, str)}
        if {"loopCardinality", "loopDataInputRef"} & has:
            continue
        camunda = node.get(f"{{{CAMUNDA_NS}}}collection")
        hint = (
            f"（camunda:collection=“{camunda}”本产品不读取，请改用 loopDataInputRef）"
            if camunda
            else ""
        )
        found.append(
            DefinitionProblem(
                **_at(node.getparent()),
                message="多实例任务没有指定要遍历的集合（loopDataInputRef：流程数据中的列表）"
                f"或次数（loopCardinality），运行时无法展开{hint}",
            )
        )
    return found


TEXT_TIMERS = {"timeDuration": "时长（timeDuration）", "timeCycle": "周期（timeCycle）"}


def _calendar_calls(expression: str) -> list[str]:
    """The product's calendar functions an expression calls (by name, as written)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:  # its syntax error is reported by the sandbox check
        return [f for f in CALENDAR_FUNCTIONS if re.search(rf"\b{f}\s*\(", expression)]
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    return [f for f in CALENDAR_FUNCTIONS if f in called]


def _calendar_in_timers(root: Any) -> list[DefinitionProblem]:
    """A deadline function in a ``timeDuration`` or ``timeCycle``: it computes a date, which
    only a ``timeDate`` can hold (checked here, before the parser, so that it is named once
    and even when the file has other problems)."""
    found = []
    for node in root.iter(*(_q(kind) for kind in TEXT_TIMERS)):
        expression = (node.text or "").strip()
        used = _calendar_calls(expression)
        if used:
            where = TEXT_TIMERS[_local(node.tag)]
            found.append(
                DefinitionProblem(
                    **_at(node.getparent().getparent()),
                    message=f"定时器的{where}中不能使用 {'、'.join(used)}：它们算出的是期限日期，"
                    f'而{where}须是 ISO 8601 文本（如 "PT72H"、"R3/PT1H"）。'
                    f"请把定时器类型改为“日期（timeDate）”，表达式 {expression} 不变",
                )
            )
    return found


def _callees(root: Any, known: set[str]) -> list[DefinitionProblem]:
    own = {p.get("id") for p in root.iter(_q("process"))}
    found = []
    for node in root.iter(_q("callActivity")):
        callee = node.get("calledElement") or ""
        if not callee:
            found.append(
                DefinitionProblem(
                    **_at(node), message="调用活动没有指定被调用的流程（calledElement）"
                )
            )
        elif juel.is_juel(callee):
            found.append(
                DefinitionProblem(**_at(node), message=juel.refusal(callee, "被调用的流程"))
            )
        elif callee not in own and callee not in known:
            found.append(
                DefinitionProblem(
                    **_at(node),
                    message=f"调用的流程“{callee}”未部署，也不在本文件中：请先部署它，"
                    "或改为本文件中的流程 ID",
                )
            )
    return found


def _start_events(root: Any) -> list[DefinitionProblem]:
    """Who may start a process is the lane of its start event: a start event outside every
    lane of an executable process that has lanes (or of one without lanes) has no starter."""
    found = []
    for process in root.iter(_q("process")):
        if process.get("isExecutable", "true") != "true":
            continue
        in_lanes = {ref.text.strip() for ref in process.iter(_q("flowNodeRef")) if ref.text}
        for start in process.findall(_q("startEvent")):
            if start.get("id") not in in_lanes:
                found.append(
                    DefinitionProblem(
                        **_at(start),
                        message="开始事件须位于某一泳道中（泳道决定由哪个单位发起流程）："
                        "请加泳道并把开始事件放进去，泳道名为发起单位",
                    )
                )
    return found


def facts(root: Any, process_id: str) -> DiagramFacts:
    """Who starts the process ``process_id`` and which messages anything in the file waits for."""
    process = next((p for p in root.iter(_q("process")) if p.get("id") == process_id), None)
    start = process.find(_q("startEvent")) if process is not None else None
    start_id = str(start.get("id") or "") if start is not None else ""
    lane_name = ""
    for lane in process.iter(_q("lane")) if process is not None else ():
        if any((ref.text or "").strip() == start_id for ref in lane.findall(_q("flowNodeRef"))):
            lane_name = lane.get("name") or ""
    return DiagramFacts(start_id, lane_name, message_waits(root), message_sends(root))


def message_waits(root: Any) -> list[MessageWait]:
    names = {m.get("id"): m.get("name") or m.get("id") for m in root.iter(_q("message"))}
    found = []
    for node in root.iter(*(_q(t) for t in MESSAGE_WAITS)):
        definition = node.find(_q("messageEventDefinition"))
        if _local(node.tag) == "receiveTask":
            ref = node.get("messageRef")
        elif definition is not None:
            ref = definition.get("messageRef")
        else:
            continue
        kind = "start" if _local(node.tag) == "startEvent" else "catch"
        found.append(MessageWait(_owner_id(node), kind, names.get(ref, ref or "") or ""))
    return found


def message_sends(root: Any) -> list[MessageSend]:
    names = {m.get("id"): m.get("name") or m.get("id") for m in root.iter(_q("message"))}
    found = []
    for node in root.iter(*(_q(t) for t in MESSAGE_SENDS)):
        definition = node.find(_q("messageEventDefinition"))
        ref = node.get("messageRef") if _local(node.tag) == "sendTask" else None
        if not ref and definition is not None:
            ref = definition.get("messageRef")
        if ref:
            found.append(MessageSend(_owner_id(node), names.get(ref, ref) or ""))
    return found
