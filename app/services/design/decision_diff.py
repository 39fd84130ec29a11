"""What changed in a definition's decision tables between two versions, in words."""

from __future__ import annotations

from typing import NamedTuple

from app.engine import DecisionOutline, outline_decisions
from app.models import ProcessDefinition

KIND = "决策表"
MAX_RULE_LINES = 20  # a table rewritten wholesale says so instead of listing every row


class DecisionChange(NamedTuple):
    change: str  # added / removed / changed
    decision_id: str
    name: str
    details: list[str]


def changes(old: ProcessDefinition, new: ProcessDefinition) -> list[DecisionChange]:
    """Decision tables added, removed and changed (by decision id)."""
    before = outline_decisions(_files(old))
    after = outline_decisions(_files(new))
    found = []
    for decision_id in sorted(set(before) | set(after)):
        a, b = before.get(decision_id), after.get(decision_id)
        if a is None and b is not None:
            found.append(DecisionChange("added", decision_id, b.name, _summary(b)))
        elif b is None and a is not None:
            found.append(DecisionChange("removed", decision_id, a.name, []))
        elif a is not None and b is not None:
            details = _details(a, b)
            if details:
                found.append(DecisionChange("changed", decision_id, b.name, details))
    return found


def _files(definition: ProcessDefinition) -> dict[str, bytes]:
    return {name: text.encode("utf-8") for name, text in (definition.decisions or {}).items()}


def _summary(item: DecisionOutline) -> list[str]:
    return [
        f"文件：{item.filename}",
        f"命中策略：{item.hit_policy}",
        "输入：" + ("、".join(item.inputs) or "（无）"),
        "输出：" + ("、".join(item.outputs) or "（无）"),
        f"规则 {len(item.rules)} 条",
    ]


def _details(old: DecisionOutline, new: DecisionOutline) -> list[str]:
    lines = []
    for label, a, b in (
        ("名称", old.name, new.name),
        ("文件", old.filename, new.filename),
        ("命中策略", old.hit_policy, new.hit_policy),
        ("输入", "、".join(old.inputs), "、".join(new.inputs)),
        ("输出", "、".join(old.outputs), "、".join(new.outputs)),
    ):
        if a != b:
            lines.append(f"{label}：{a or '（无）'} → {b or '（无）'}")
    rows = []
    for index in range(max(len(old.rules), len(new.rules))):
        a_row = old.rules[index] if index < len(old.rules) else None
        b_row = new.rules[index] if index < len(new.rules) else None
        if a_row == b_row:
            continue
        if a_row is None:
            rows.append(f"新增第 {index + 1} 条规则：{_row(b_row)}")
        elif b_row is None:
            rows.append(f"删除第 {index + 1} 条规则：{_row(a_row)}")
        else:
            rows.append(f"第 {index + 1} 条规则：{_row(a_row)} → {_row(b_row)}")
    if len(rows) > MAX_RULE_LINES:
        rows = rows[:MAX_RULE_LINES] + [f"……另有 {len(rows) - MAX_RULE_LINES} 条规则有变化"]
    return lines + rows


def _row(cells: tuple[str, ...] | None) -> str:
    return " | ".join(cell or "-" for cell in cells or ())
