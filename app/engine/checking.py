"""Parse a BPMN file and report everything wrong with it at once.

The order: XML syntax (stops: nothing else can be read), the BPMN schema and the product's
preflight checks (all reported together), then SpiffWorkflow's parser (its one error, unless a
preflight finding already explains it), then every expression compiled in the sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from app.engine import camunda, compiled, preflight
from app.engine.parser import (
    BPMN_NS,
    ParsedProcess,
    adopt_camunda_conventions,
    parse_bpmn_root,
    parse_root,
)
from app.engine.problems import BpmnDefinitionError, DefinitionProblem

# SpiffWorkflow's errors about what a preflight check names more precisely: (its words, the
# words of the preflight's message that explains it)
_EXPLAINED = [
    (re.compile(r"Service Task must have an operator"), "不调用外部系统"),
    (re.compile(r"was not found"), "未部署"),
    (re.compile(r"NotImplementedError|compensat|Unsupported Catch Event", re.I), "补偿"),
    (re.compile(r"multiinstance", re.I), "多实例"),
]


def _explained(problem: DefinitionProblem, model: list[DefinitionProblem]) -> bool:
    return any(
        pattern.search(problem.detail) and any(words in m.message for m in model)
        for pattern, words in _EXPLAINED
    )


def parse_bpmn(
    content: bytes,
    filename: str = "upload.bpmn",
    called: Mapping[str, bytes] | None = None,
    decisions: Sequence[tuple[str, Any]] = (),
    group_roles: Mapping[str, str] | None = None,
) -> ParsedProcess:
    """Parse one BPMN file holding one executable process; raise BpmnDefinitionError with
    every problem found. The returned process may still carry errors in ``problems`` (found
    by the checks, not fatal to parsing): the caller must refuse to deploy it then.
    ``group_roles``: Camunda candidate group -> the product's role."""
    root = adopt_camunda_conventions(parse_bpmn_root(content))
    reading = camunda.adopt(root, group_roles or {})
    schema = preflight.schema_problems(root)
    model = preflight.model_problems(root, set(called or {})) + compiled.problems(root)
    model += reading.problems
    process_id, choice = _executable(root)
    facts = preflight.facts(root, process_id)
    facts.generated_forms, facts.mapped_roles = reading.forms, reading.roles
    if schema:
        reported = {(p.element_id, p.line) for p in schema}
        raise BpmnDefinitionError(
            schema + [p for p in model if (p.element_id, p.line) not in reported], facts
        )
    if choice:
        raise BpmnDefinitionError([*choice, *model], facts)
    try:
        parsed = parse_root(root, process_id, filename, called, decisions)
    except BpmnDefinitionError as exc:
        raise BpmnDefinitionError(
            model + [p for p in exc.problems if not _explained(p, model)], facts
        ) from exc
    parsed.problems[:0] = model
    parsed.facts = facts
    return parsed


def _executable(root: Any) -> tuple[str, list[DefinitionProblem]]:
    """The one executable process, or why there is not exactly one (naming the candidates)."""
    processes = list(root.iter(f"{{{BPMN_NS}}}process"))
    pools = {
        p.get("processRef"): p.get("name") or ""
        for p in root.iter(f"{{{BPMN_NS}}}participant")
        if p.get("processRef")
    }

    def named(process: Any) -> str:
        label = process.get("name") or pools.get(process.get("id")) or ""
        return f"“{process.get('id')}”" + (f"（{label}）" if label else "")

    executable = [p for p in processes if p.get("isExecutable", "true") == "true"]
    if len(executable) == 1:
        return str(executable[0].get("id")), []
    if not processes:
        return "", [DefinitionProblem("", "文件中没有流程（process）：请在建模工具中画一个流程")]
    if not executable:
        candidates = [p for p in processes if p.find(f"{{{BPMN_NS}}}startEvent") is not None]
        names = "、".join(named(p) for p in candidates or processes)
        return "", [
            DefinitionProblem(
                str((candidates or processes)[0].get("id")),
                f"文件中没有标为可执行（isExecutable）的流程：请在建模工具中选中要部署的流程"
                f"（池），勾选“可执行”（Executable）后再上传。文件中的流程：{names}",
            )
        ]
    names = "、".join(named(p) for p in executable)
    return "", [
        DefinitionProblem(
            str(p.get("id")),
            f"文件中有 {len(executable)} 个可执行流程（{names}）：本产品每次部署一个流程。"
            "请只把要部署的那个流程（池）标为可执行，其余取消“可执行”（isExecutable=false）",
        )
        for p in executable
    ]


def flow_element_ids(content: bytes, process_id: str) -> set[str]:
    """The ids of the elements of process ``process_id`` in a BPMN file (empty when it cannot
    be read): what two versions of one process share."""
    try:
        root = parse_bpmn_root(content)
    except BpmnDefinitionError:
        return set()
    process = next(
        (p for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("id") == process_id), None
    )
    if process is None:
        return set()
    return {str(n.get("id")) for n in process.iter() if isinstance(n.tag, str) and n.get("id")}
