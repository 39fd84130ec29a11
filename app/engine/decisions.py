"""DMN decision tables: read safely, checked for what SpiffWorkflow's DMN engine runs, one
decision per parsed document, and outlined for the diff between versions.

SpiffWorkflow evaluates a table's cells as Python in our sandbox (a cell like ``< 1000`` is
``amount < 1000``; ``?`` stands for the input: ``100 <= ? <= 500``), reads one decision per
DMN document and runs hit policies UNIQUE, FIRST, ANY (first match) and COLLECT (a list per
output). A file with several decisions (a Camunda DRD) is split into one document per decision.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.engine import rule_tasks
from app.engine.checking import parse_bpmn
from app.engine.parser import (
    BPMN_NS,
    BpmnDefinitionError,
    DefinitionProblem,
    ParsedProcess,
    adopt_camunda_conventions,
    decision_ref,
    parse_bpmn_root,
    parse_xml,
)
from app.engine.sandbox import check_source

DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
)
RUNNABLE_HIT_POLICIES = {"UNIQUE", "FIRST", "ANY", "COLLECT"}
HIT_POLICY_WORDS = {
    "UNIQUE": "唯一命中", "FIRST": "首条命中", "ANY": "任一命中", "COLLECT": "收集全部",
    "PRIORITY": "优先级", "RULE ORDER": "规则顺序", "OUTPUT ORDER": "输出顺序",
}  # fmt: skip
MAX_RULES = 2000


@dataclass
class Decision:
    """One decision of a DMN file, as a document of its own for the engine."""

    decision_id: str
    name: str
    filename: str
    document: Any  # lxml root: the file's definitions holding only this decision


@dataclass
class DecisionOutline:
    decision_id: str
    name: str
    filename: str
    hit_policy: str
    inputs: list[str] = field(default_factory=list)  # label（expression）
    outputs: list[str] = field(default_factory=list)  # name（label）
    rules: list[tuple[str, ...]] = field(default_factory=list)  # input cells, then outputs


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _namespace(tag: Any) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def parse_with_decisions(
    content: bytes,
    filename: str = "upload.bpmn",
    called: Mapping[str, bytes] | None = None,
    decision_files: Mapping[str, bytes] | None = None,
    group_roles: Mapping[str, str] | None = None,
) -> ParsedProcess:
    """``parse_bpmn`` with the DMN files its business rule tasks call; every problem of the
    decision tables and of the tasks' references is raised at once (BpmnDefinitionError)."""
    found: list[DefinitionProblem] = []
    decisions: list[Decision] = []
    for name, data in sorted((decision_files or {}).items()):
        try:
            decisions.extend(read(name, data))
        except BpmnDefinitionError as exc:
            found.extend(exc.problems)
    counts = Counter(d.decision_id for d in decisions)
    troubled = {decision_id for decision_id, count in counts.items() if count > 1}
    for decision_id in sorted(troubled):
        files = "、".join(d.filename for d in decisions if d.decision_id == decision_id)
        found.append(
            DefinitionProblem(decision_id, f"决策 id {decision_id} 重复（{files}）：id 须唯一")
        )
    for decision in decisions:
        issues = problems(decision)
        found.extend(issues)
        if issues:
            troubled.add(decision.decision_id)
    documents = [(d.filename, d.document) for d in decisions]
    named: set[str] = set()
    for task in _rule_tasks(content, called):
        ref, task_id = decision_ref(task), task.get("id") or ""
        named.add(ref)
        if not ref:
            found.append(
                DefinitionProblem(
                    task_id,
                    "规则任务未指定决策表（spiffworkflow:calledDecisionId 或 camunda:decisionRef）",
                )
            )
        elif ref not in counts:
            found.append(
                DefinitionProblem(
                    task_id,
                    f"规则任务引用的决策表 {ref} 不存在：请随流程图一并上传含该决策的 .dmn 文件"
                    f"（已上传的决策：{'、'.join(sorted(counts)) or '无'}）",
                    detail=rule_tasks.missing_words(ref, task, documents),
                )
            )
    if found:  # with every problem of the diagram itself, each table it names standing in
        runnable = [(d.filename, d.document) for d in decisions if d.decision_id not in troubled]
        runnable += [rule_tasks.stand_in(ref) for ref in sorted(named - counts.keys() - {""})]
        runnable += [rule_tasks.stand_in(ref) for ref in sorted(troubled & named)]
        try:
            parsed = parse_bpmn(content, filename, called, runnable, group_roles)
        except BpmnDefinitionError as exc:
            raise BpmnDefinitionError(_said_once(found, exc.problems), exc.facts) from exc
        raise BpmnDefinitionError(found + parsed.problems, parsed.facts)
    parsed = parse_bpmn(content, filename, called, documents, group_roles)
    for decision in decisions:
        parsed.message_variables |= output_names(decision)
    return parsed


def _rule_tasks(content: bytes, called: Mapping[str, bytes] | None) -> list[Any]:
    """The business rule tasks of the diagram and of the processes it calls."""
    roots = [adopt_camunda_conventions(parse_bpmn_root(content))]
    roots.extend(adopt_camunda_conventions(parse_bpmn_root(c)) for c in (called or {}).values())
    return [task for root in roots for task in root.iter(f"{{{BPMN_NS}}}businessRuleTask")]


def _said_once(
    found: list[DefinitionProblem], engine: list[DefinitionProblem]
) -> list[DefinitionProblem]:
    """The tables' problems and the engine's; the engine's missing table (a rule task without a
    decision) is one of ours, which keeps its words in ``detail``."""
    ours = {p.element_id: p for p in found}
    rest = []
    for problem in engine:
        mine = ours.get(problem.element_id)
        if mine is not None and rule_tasks.MISSING in problem.detail:
            mine.detail = mine.detail or problem.detail
        else:
            rest.append(problem)
    return found + rest


def read(filename: str, content: bytes) -> list[Decision]:
    """The decisions of one DMN file; raises BpmnDefinitionError naming the file."""
    try:
        root = parse_xml(content)
    except BpmnDefinitionError as exc:
        raise BpmnDefinitionError(
            [
                DefinitionProblem(filename, f"决策表文件 {filename}：{p.message}")
                for p in exc.problems
            ]
        ) from exc
    namespace = _namespace(root.tag)
    if _local(root.tag) != "definitions" or namespace not in DMN_NAMESPACES:
        raise BpmnDefinitionError(
            [
                DefinitionProblem(
                    filename, f"{filename} 不是 DMN 决策表文件（根元素须为 DMN 的 definitions）"
                )
            ]
        )
    decisions = [node for node in root if _local(node.tag) == "decision"]
    if not decisions:
        raise BpmnDefinitionError(
            [DefinitionProblem(filename, f"{filename} 中没有决策（decision）")]
        )
    found = []
    for node in decisions:
        document = copy.deepcopy(root)
        for other in list(document):
            if _local(other.tag) != "decision" or other.get("id") != node.get("id"):
                document.remove(other)  # other decisions, input data, DRD diagram
        found.append(
            Decision(node.get("id") or "", (node.get("name") or "").strip(), filename, document)
        )
    return found


def problems(decision: Decision) -> list[DefinitionProblem]:
    """What the engine could not run, each naming the decision, its rule row and column."""
    label = f"决策表 {decision.decision_id}（{decision.filename}）"
    node = next(n for n in decision.document if _local(n.tag) == "decision")
    if not decision.decision_id:
        return [DefinitionProblem(decision.filename, f"{decision.filename} 中有决策缺少 id")]
    tables = [n for n in node if _local(n.tag) == "decisionTable"]
    if len(tables) != 1:
        kinds = "、".join(sorted({_local(n.tag) for n in node} - {"extensionElements"}))
        return [
            DefinitionProblem(
                decision.decision_id,
                f"{label} 须为一张决策表（decisionTable）；不支持字面表达式、上下文等其他决策逻辑"
                + (f"（此处为：{kinds}）" if kinds else ""),
            )
        ]
    table = tables[0]
    found = []
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in RUNNABLE_HIT_POLICIES:
        found.append(
            DefinitionProblem(
                decision.decision_id,
                f"{label} 的命中策略 {policy}（{HIT_POLICY_WORDS.get(policy, policy)}）不受支持："
                "可用 UNIQUE、FIRST、ANY 或 COLLECT",
            )
        )
    if table.get("aggregation"):
        found.append(
            DefinitionProblem(
                decision.decision_id,
                f"{label} 的 COLLECT 聚合（{table.get('aggregation')}）不受支持："
                "请去掉聚合，在后续脚本中对结果列表求和或计数",
            )
        )
    inputs = [n for n in table if _local(n.tag) == "input"]
    outputs = [n for n in table if _local(n.tag) == "output"]
    rules = [n for n in table if _local(n.tag) == "rule"]
    if len(rules) > MAX_RULES:
        found.append(DefinitionProblem(decision.decision_id, f"{label} 的规则超过 {MAX_RULES} 条"))
        return found
    for index, item in enumerate(inputs, 1):
        expression = _input_expression(item)
        if not expression:
            found.append(
                DefinitionProblem(decision.decision_id, f"{label} 第 {index} 个输入缺少输入表达式")
            )
        else:
            found.extend(_compiled(decision, f"{label} 第 {index} 个输入的表达式", expression))
    for index, item in enumerate(outputs, 1):
        if not (item.get("name") or item.get("label")):
            found.append(
                DefinitionProblem(
                    decision.decision_id,
                    f"{label} 第 {index} 个输出缺少名称（name），无法写入流程数据",
                )
            )
    for row, rule in enumerate(rules, 1):
        entries = [n for n in rule if _local(n.tag) == "inputEntry"]
        results = [n for n in rule if _local(n.tag) == "outputEntry"]
        if len(entries) != len(inputs) or len(results) != len(outputs):
            found.append(
                DefinitionProblem(
                    decision.decision_id, f"{label} 第 {row} 条规则的单元格数与输入、输出列数不符"
                )
            )
            continue
        for column, entry in enumerate(entries, 1):
            text = _cell(entry)
            if text and text != "-":
                found.extend(_test_problems(decision, label, row, column, text))
        for column, result in enumerate(results, 1):
            text = _cell(result)
            if text:
                where = f"{label} 第 {row} 条规则的第 {column} 个输出"
                found.extend(_compiled(decision, where, text))
    return found


def _test_problems(
    decision: Decision, label: str, row: int, column: int, text: str
) -> list[DefinitionProblem]:
    """An input cell: an expression to compare with ``==``, or a comparison (``< 1000``), or
    one with ``?`` for the input."""
    where = f"{label} 第 {row} 条规则的第 {column} 个输入条件"
    if "?" in _outside_quotes(text):
        return _compiled(decision, where, _QUESTION.sub("dmninputexpr", text))
    if not check_source(text, "eval"):
        return []
    if not check_source(f"dmninputexpr {text}", "eval"):
        return []
    hint = ""
    if re.fullmatch(r"\s*[\[\]\(]\s*[^.]+\.\.[^.]+[\]\[\)]\s*", text):
        hint = "（FEEL 区间写法，请改为 Python：如 [1..10] 写作 1 <= ? <= 10）"
    elif text.strip().startswith("not("):
        hint = '（FEEL 的 not(...)，请改为 Python：如 not("A") 写作 ? != "A"）'
    return [
        DefinitionProblem(
            decision.decision_id,
            f"{where} 无法解析：{text}{hint}",
        )
    ]


_QUESTION = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")  # as SpiffWorkflow's DMN engine


def _outside_quotes(text: str) -> str:
    return re.sub(r"\"[^\"]*\"|'[^']*'", "", text)


def _compiled(decision: Decision, where: str, expression: str) -> list[DefinitionProblem]:
    errors = check_source(expression, "eval")
    if not errors:
        return []
    return [
        DefinitionProblem(
            decision.decision_id, f"{where} 无效：{expression}（{'；'.join(errors)}）"
        )
    ]


def _input_expression(node: Any) -> str:
    for child in node:
        if _local(child.tag) == "inputExpression":
            for text in child:
                if _local(text.tag) == "text":
                    return (text.text or "").strip()
    return ""


def _cell(node: Any) -> str:
    for child in node:
        if _local(child.tag) == "text":
            return (child.text or "").strip()
    return ""


def output_names(decision: Decision) -> set[str]:
    """The process data a decision writes (its outputs' names)."""
    names = set()
    for node in decision.document.iter():
        if _local(node.tag) == "output":
            name = node.get("name") or node.get("label") or ""
            if name:
                names.add(name.split(".", 1)[0])
    return names


def outline_decisions(files: Mapping[str, bytes]) -> dict[str, DecisionOutline]:
    """Decision id -> outline of every decision in the files (unreadable files are skipped:
    they were checked when deployed)."""
    found: dict[str, DecisionOutline] = {}
    for filename, content in sorted(files.items()):
        try:
            decisions = read(filename, content)
        except BpmnDefinitionError:
            continue
        for decision in decisions:
            found[decision.decision_id] = _outline(decision)
    return found


def _outline(decision: Decision) -> DecisionOutline:
    item = DecisionOutline(decision.decision_id, decision.name, decision.filename, "")
    table = next((n for n in decision.document.iter() if _local(n.tag) == "decisionTable"), None)
    if table is None:
        return item
    item.hit_policy = (table.get("hitPolicy") or "UNIQUE").upper()
    for node in table:
        kind = _local(node.tag)
        if kind == "input":
            label = node.get("label") or node.get("id") or ""
            item.inputs.append(f"{label}（{_input_expression(node)}）")
        elif kind == "output":
            item.outputs.append(node.get("name") or node.get("label") or node.get("id") or "")
        elif kind == "rule":
            cells = [_cell(n) for n in node if _local(n.tag) in ("inputEntry", "outputEntry")]
            item.rules.append(tuple(cells))
    return item
