"""The life of a definition: its deployed versions and a readable diff between two of them."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from app.engine import ElementOutline, outline
from app.errors import InvalidInput, NotFound
from app.models import ProcessDefinition, ProcessInstance
from app.models.states import InstanceStatus
from app.services.design import decision_diff

KIND_LABELS = {
    "userTask": "用户任务", "task": "任务", "manualTask": "人工任务", "scriptTask": "脚本任务",
    "serviceTask": "服务任务", "sendTask": "发送任务", "receiveTask": "接收任务",
    "businessRuleTask": "规则任务", "callActivity": "调用活动", "subProcess": "子流程",
    "startEvent": "开始事件", "endEvent": "结束事件", "intermediateCatchEvent": "中间捕获事件",
    "intermediateThrowEvent": "中间抛出事件", "boundaryEvent": "边界事件",
    "exclusiveGateway": "排他网关", "parallelGateway": "并行网关",
    "inclusiveGateway": "包容网关", "eventBasedGateway": "事件网关", "sequenceFlow": "连线",
}  # fmt: skip
FORM_PROPERTY = "formJsonSchemaFilename"
UI_PROPERTY = "formUiSchemaFilename"
PROPERTY_LABELS = {
    FORM_PROPERTY: "表单", UI_PROPERTY: "表单布局", "role": "角色",
    "assignee": "指派规则", "documents": "生成文书", "escalate_to": "催办对象",
    "ladder": "提醒阶梯", "basis": "期限依据", "purpose": "定时器用途",
    "starts": "办结时启动的流程", "readers": "读取范围",
}  # fmt: skip


@dataclass
class VersionRow:
    version: int
    deployed_at: datetime
    deployed_by: str
    comment: str
    sha256: str
    running: int
    finished: int


@dataclass
class ElementChange:
    change: str  # added / removed / changed
    element_id: str
    kind: str  # Chinese label of the element type
    name: str
    details: list[str] = field(default_factory=list)


@dataclass
class VersionDiff:
    process_id: str
    name: str
    old: int
    new: int
    changes: list[ElementChange]

    @property
    def counts(self) -> dict[str, int]:
        return {
            k: sum(c.change == k for c in self.changes) for k in ("added", "removed", "changed")
        }


def history(session: Session, process_id: str) -> list[VersionRow]:
    """Every deployed version, newest first, with how many instances run on it or finished."""
    counts: dict[tuple[int, str], int] = {
        (definition_id, status): n
        for definition_id, status, n in session.execute(
            select(ProcessInstance.definition_id, ProcessInstance.status, func.count())
            .where(ProcessInstance.process_id == process_id)
            .group_by(ProcessInstance.definition_id, ProcessInstance.status)
        )
    }
    rows = [
        VersionRow(
            d.version,
            d.deployed_at,
            d.deployed_by,
            d.comment or "",
            d.sha256,
            counts.get((d.id, InstanceStatus.RUNNING), 0),
            sum(n for (i, s), n in counts.items() if i == d.id and s != InstanceStatus.RUNNING),
        )  # fmt: skip
        for d in session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.process_id == process_id)
            .order_by(ProcessDefinition.version.desc())
        )
    ]
    if not rows:
        raise NotFound(f"流程未部署：{process_id}")
    return rows


def definition(session: Session, process_id: str, version: int) -> ProcessDefinition:
    found = session.scalar(
        select(ProcessDefinition)
        .options(undefer(ProcessDefinition.bpmn_xml))
        .where(ProcessDefinition.process_id == process_id, ProcessDefinition.version == version)
    )
    if found is None:
        raise NotFound(f"流程 {process_id} 没有版本 {version}")
    return found


def parse_version(raw: Any, label: str) -> int:
    try:
        value = int(str(raw))
    except ValueError:
        raise InvalidInput(f"请选择{label}版本", {label: ["须为版本号（整数）"]}) from None
    if value < 1:
        raise InvalidInput(f"请选择{label}版本", {label: ["须为正整数"]})
    return value


def diff(session: Session, process_id: str, old_version: int, new_version: int) -> VersionDiff:
    """Elements added, removed and changed from one version to another (either order)."""
    old = definition(session, process_id, old_version)
    new = definition(session, process_id, new_version)
    before = outline(old.bpmn_xml.encode("utf-8"))
    after = outline(new.bpmn_xml.encode("utf-8"))
    changes: list[ElementChange] = []
    for element_id, item in after.items():
        if element_id not in before:
            changes.append(_change("added", item, _summary(item, new.forms)))
    for element_id, item in before.items():
        if element_id not in after:
            changes.append(_change("removed", item, []))
    for element_id, item in after.items():
        if element_id in before:
            details = element_changes(before[element_id], item, old.forms, new.forms)
            if details:
                changes.append(_change("changed", item, details))
    changes.extend(_callee_changes(old, new))
    changes.extend(
        ElementChange(c.change, c.decision_id, decision_diff.KIND, c.name, c.details)
        for c in decision_diff.changes(old, new)
    )
    order = {"changed": 0, "added": 1, "removed": 2}
    changes.sort(key=lambda c: (order[c.change], c.kind == "连线", c.element_id))
    return VersionDiff(process_id, new.name, old_version, new_version, changes)


def _callees(definition: ProcessDefinition) -> dict[str, Any]:
    bundle = json.loads(definition.spec_json)
    return bundle.get("subprocess_specs", {}) if isinstance(bundle, dict) else {}


def _callee_changes(old: ProcessDefinition, new: ProcessDefinition) -> list[ElementChange]:
    """Called processes are bundled into a version: say which ones differ."""
    before, after = _callees(old), _callees(new)
    found = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            found.append(ElementChange("added", name, "被调用的流程", name))
        elif name not in after:
            found.append(ElementChange("removed", name, "被调用的流程", name))
        elif before[name] != after[name]:
            found.append(
                ElementChange(
                    "changed",
                    name,
                    "被调用的流程",
                    name,
                    [f"随本版本打包的 {name} 已更新（详见其版本历史）"],
                )  # fmt: skip
            )
    return found


def _change(kind: str, item: ElementOutline, details: list[str]) -> ElementChange:
    return ElementChange(kind, item.element_id, _kind(item), item.name, details)


def _kind(item: ElementOutline) -> str:
    label = KIND_LABELS.get(item.kind, item.kind)
    return f"期限（计时{label}）" if item.timer else label


def _summary(item: ElementOutline, forms: dict[str, Any]) -> list[str]:
    lines = []
    if item.lane:
        lines.append(f"泳道：{item.lane}")
    if item.timer:
        lines.append(f"期限：{deadline_text(item.timer)}")
    for key, value in item.properties.items():
        lines.append(f"{PROPERTY_LABELS.get(key, key)}：{value}")
    if item.kind == "sequenceFlow":
        lines.append(f"{item.source} → {item.target}")
    return lines


def element_changes(
    old: ElementOutline, new: ElementOutline, old_forms: dict[str, Any], new_forms: dict[str, Any]
) -> list[str]:
    """Readable lines for what changed in one element between two versions."""
    lines = []
    if old.kind != new.kind:
        lines.append(f"类型：{_kind(old)} → {_kind(new)}")
    for label, a, b in (
        ("名称", old.name, new.name), ("泳道", old.lane, new.lane),
        ("调用流程", old.called, new.called), ("起点", old.source, new.source),
        ("终点", old.target, new.target), ("条件", old.condition, new.condition),
    ):  # fmt: skip
        if a != b:
            lines.append(f"{label}：{a or '（无）'} → {b or '（无）'}")
    if old.timer != new.timer:
        lines.append(f"期限：{deadline_text(old.timer)} → {deadline_text(new.timer)}")
    if old.timer and old.interrupting != new.interrupting:
        lines.append("期限到期时" + ("将取消任务" if new.interrupting else "不再取消任务"))
    for key in sorted(set(old.properties) | set(new.properties)):
        a, b = old.properties.get(key, ""), new.properties.get(key, "")
        if a != b:
            lines.append(f"{PROPERTY_LABELS.get(key, key)}：{a or '（无）'} → {b or '（无）'}")
    form_old, form_new = old.properties.get(FORM_PROPERTY), new.properties.get(FORM_PROPERTY)
    if form_old and form_new:
        lines.extend(form_changes(old_forms.get(form_old), new_forms.get(form_new)))
    ui_old, ui_new = old.properties.get(UI_PROPERTY), new.properties.get(UI_PROPERTY)
    if ui_old and ui_new and old_forms.get(ui_old) != new_forms.get(ui_new):
        lines.append("表单布局（uischema）已修改")
    for script in sorted(set(old.scripts) | set(new.scripts)):
        if old.scripts.get(script, "") != new.scripts.get(script, ""):
            lines.append(f"脚本（{script}）已修改")
    return lines


def form_changes(old: Any, new: Any) -> list[str]:
    """Fields added, removed or redefined between two versions of a form's JSON Schema."""
    if old == new or not isinstance(old, dict) or not isinstance(new, dict):
        return []
    a, b = old.get("properties") or {}, new.get("properties") or {}
    lines = []
    added = [_field(k, b[k]) for k in b if k not in a]
    removed = [_field(k, a[k]) for k in a if k not in b]
    changed = [_field(k, b[k]) for k in b if k in a and a[k] != b[k]]
    if added:
        lines.append("表单新增字段：" + "、".join(added))
    if removed:
        lines.append("表单删除字段：" + "、".join(removed))
    if changed:
        lines.append("表单字段定义修改：" + "、".join(changed))
    required = set(new.get("required") or []) ^ set(old.get("required") or [])
    if required & set(a) & set(b):
        lines.append("必填项变化：" + "、".join(sorted(required & set(a) & set(b))))
    if not lines:
        lines.append("表单其他定义已修改（标题、说明等）")
    return lines


def _field(name: str, schema: Any) -> str:
    title = schema.get("title") if isinstance(schema, dict) else None
    return f"{name}（{title}）" if title else name


DEADLINE_UNITS = {"working_days": "个工作日", "calendar_days": "日"}


def deadline_text(expression: str) -> str:
    """A deadline expression in words: ``working_days(received(), 3)`` -> "3 个工作日（自任务
    送达起）", ``calendar_days(performance_due, 5)`` -> "5 日（自 performance_due 起）"."""
    if not expression:
        return "（无）"
    try:
        tree = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return expression
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name)):
        return expression
    name, args = tree.func.id, tree.args
    if name in DEADLINE_UNITS and len(args) == 2:
        return f"{ast.unparse(args[1])} {DEADLINE_UNITS[name]}（自{start_words(args[0])}起）"
    if name == "working_days_before" and len(args) == 2:
        return f"{start_words(args[0]).strip()} 前 {ast.unparse(args[1])} 个工作日"
    if name == "day_end" and len(args) == 1:
        return f"{start_words(args[0]).strip()} 当日届满"
    return expression


def start_words(node: ast.expr) -> str:
    """What a deadline counts from, in words (the events the product records by name)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "received" and not node.args:
            return "任务送达"
        task = node.args[0] if node.args else None
        if node.func.id == "submitted" and isinstance(task, ast.Constant):
            return f" {task.value!s} 提交"
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        first, *rest = (start_words(v).strip() for v in node.values)
        return f" {first}（无则{'，'.join(rest)}）"
    return f" {ast.unparse(node)} "
