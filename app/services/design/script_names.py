"""Names a diagram's scripts read that the process data can never hold (a warning at deploy).

A script reads the process data by name. A name that no form field, no script, no decision
table, no message and none of the services ever puts into the data is most likely a typo or a
field of a form that was renamed: the script would fail with ``NameError`` when it runs. Data
given when the process starts, or in a message's payload, may still hold it, so this warns.
"""

from __future__ import annotations

import ast

from app.engine import DefinitionProblem, ParsedProcess
from app.engine.sandbox import offered_names


def problems(parsed: ParsedProcess, known: set[str]) -> list[DefinitionProblem]:
    offered = offered_names() | {"True", "False", "None"}
    found = []
    for script in parsed.scripts:
        try:
            tree = ast.parse(script.source, mode="exec")
        except SyntaxError:
            continue  # reported as an error by the script check
        for name in sorted(_read(tree) - _bound(tree) - known - offered):
            found.append(
                DefinitionProblem(
                    script.bpmn_id,
                    f"脚本（{script.kind}）读取的 {name} 不是本流程任何表单字段、脚本变量、"
                    "决策表输出或系统提供的数据；运行时将因找不到该名称而出错"
                    "（若由启动数据或消息内容提供，可忽略此提醒）",
                    severity="warning",
                )
            )
    return found


def _read(tree: ast.AST) -> set[str]:
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }


def _bound(tree: ast.AST) -> set[str]:
    """Names the script itself binds: assignments, loop and comprehension variables, the
    parameters and names of functions it defines."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound
