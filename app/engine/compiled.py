"""Compile, at deploy, every expression and script a diagram will evaluate, read from its XML
(so they are reported even when SpiffWorkflow cannot parse the file): conditions,
multi-instance cardinalities and completion conditions, conditional events, message payloads
and correlation expressions, scripts and pre/post scripts.

Timer expressions are checked, with the product's calendar rules, by the services'
definition rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.engine import juel, sandbox, wording
from app.engine.parser import BPMN_NS, SPIFF_NS
from app.engine.problems import DefinitionProblem

EXPRESSIONS = {
    f"{{{BPMN_NS}}}conditionExpression": "条件表达式",
    f"{{{BPMN_NS}}}loopCardinality": "多实例次数",
    f"{{{BPMN_NS}}}completionCondition": "多实例完成条件",
    f"{{{BPMN_NS}}}condition": "条件事件的条件",
    f"{{{SPIFF_NS}}}messagePayload": "消息内容（payload）表达式",
    f"{{{BPMN_NS}}}messagePath": "消息关联表达式",
}
SCRIPTS = {
    f"{{{BPMN_NS}}}script": "脚本（script）",
    f"{{{SPIFF_NS}}}preScript": "脚本（preScript）",
    f"{{{SPIFF_NS}}}postScript": "脚本（postScript）",
}


def _owner(node: Any) -> str:
    """The flow element the expression belongs to (not the expression's own id)."""
    node = node.getparent()
    while node is not None:
        local = node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""
        if node.get("id") and local not in ("extensionElements", "timerEventDefinition",
                                            "conditionalEventDefinition",
                                            "multiInstanceLoopCharacteristics"):  # fmt: skip
            return str(node.get("id"))
        node = node.getparent()
    return ""


def _sources(root: Any) -> Iterator[tuple[Any, str, str, str]]:
    """(node, what it is, mode, source) of every expression and script in the file."""
    for node in root.iter(*EXPRESSIONS, *SCRIPTS):
        source = (node.text or "").strip()
        if not source:
            continue
        if node.tag in SCRIPTS:
            yield node, SCRIPTS[node.tag], "exec", node.text or ""
        else:
            yield node, EXPRESSIONS[node.tag], "eval", source


def problems(root: Any) -> list[DefinitionProblem]:
    """Every expression or script the sandbox refuses to compile."""
    found: list[DefinitionProblem] = []
    for node, what, mode, source in _sources(root):
        if juel.is_juel(source):
            continue  # refused by the preflight, with the Python equivalent
        owner = _owner(node)
        for error in sandbox.check_source(source, mode):
            found.append(
                DefinitionProblem(
                    owner,
                    f"{what}无效：{wording.sandbox_message(error)}",
                    detail=wording.shorten(f"{error} | {source.strip()}", 400),
                    line=node.sourceline,
                )
            )
    return found
