"""The product's rules for a deployable definition, beyond what SpiffWorkflow's parser checks.

Each problem names the diagram element it is about, so the modeler can mark it. Errors block
deployment; warnings are shown and allowed (the diagram runs, but is probably not what was meant).
"""

from __future__ import annotations

import ast
from typing import Any

from app.engine import DefinitionProblem, ParsedProcess, TimerInfo, UserTaskInfo, check_source
from app.engine.sandbox import SAFE_FUNCTIONS
from app.models import ROLES
from app.services.design import routing, script_names, timer_rules
from app.services.design.context_property import CONTEXT_PROPERTY, context_problems
from app.services.identity import access

# calendar function -> how many arguments it takes (the start, then N)
DEADLINE_FUNCTIONS = {"working_days": 2, "calendar_days": 2, "working_days_before": 2, "day_end": 1}
# the events the product records, offered to deadline expressions only (``app.engine.timers``)
START_FUNCTIONS = frozenset({"received", "submitted"})
# the starts the modeler offers first: events the product records (expression -> what it is)
RECORDED_STARTS = {
    "received()": "本任务送达承办单位时（系统记录；纸质送达可登记送达回证）",
    "notice_received": "区调处中心收到预立案信息通报时（法院所述日期，或消息到达时间）",
    "judgment_received": "本单位收到败诉裁判文书或复议决定时（法院送达日期，或到达时间）",
    "performance_due": "判决履行期限届满之日（法院消息）",
}
TIMER_PURPOSES = frozenset({"deadline", "reminder", "milestone"})  # projections._apply_due
DEADLINE_BASES = {"text": "《十项机制》规定", "local": "本地规则"}
ASSIGNEE_RULES = frozenset({"designated_reviewer"})  # projections.assignee_for
ESCALATION_TARGETS = frozenset({"center", "bureau", "agency_head"})  # escalation.escalate


def problems(parsed: ParsedProcess, forms: dict[str, Any]) -> list[DefinitionProblem]:
    """Role, assignee, script and deadline rules, plus the warnings."""
    found: list[DefinitionProblem] = []
    known = known_fields(parsed, forms)
    task_ids = {t.bpmn_id for t in parsed.user_tasks}
    form_fields = {t.bpmn_id: _form_fields(t, forms) for t in parsed.user_tasks}
    typed_by_lane = _fields_by_lane(parsed, forms)
    for script in parsed.scripts:  # compiled by the engine's checks (app.engine.compiled)
        for name in sorted(_called_names(script.source, "exec") & START_FUNCTIONS):
            found.append(
                DefinitionProblem(script.bpmn_id, f"{name}() 只能用于期限表达式（定时边界事件）")
            )
    for task in parsed.user_tasks:
        role = task.properties.get("role")
        if role and role not in ROLES:
            found.append(
                DefinitionProblem(task.bpmn_id, f"未知的角色：{role}（可用：{_list(ROLES)}）")
            )
        assignee = task.properties.get("assignee")
        if assignee and assignee not in ASSIGNEE_RULES:
            found.append(
                DefinitionProblem(
                    task.bpmn_id, f"未知的指派规则：{assignee}（可用：{_list(ASSIGNEE_RULES)}）"
                )
            )
        _, unknown = access.parse_readers(task.properties.get(access.READERS_PROPERTY, ""))
        if unknown:
            found.append(
                DefinitionProblem(
                    task.bpmn_id,
                    f"未知的读取范围：{'、'.join(unknown)}（可用：{_list(access.READERS)}）",
                )
            )
        for problem in context_problems(
            task.properties.get(CONTEXT_PROPERTY, ""), task_ids, form_fields
        ):
            found.append(DefinitionProblem(task.bpmn_id, problem))
        if not task.named:
            found.append(
                DefinitionProblem(
                    task.bpmn_id, "用户任务没有名称（待办中将显示其 ID）", severity="warning"
                )
            )
        for timer in task.timers:
            found.extend(_timer_problems(timer, known, task_ids))
            found.extend(_timed_party_types_start(timer, task, typed_by_lane.get(task.lane, {})))
    for timer in parsed.other_timers:
        found.extend(_timer_problems(timer, known, task_ids, on_user_task=False))
    found.extend(script_names.problems(parsed, known))
    return found


def _timer_problems(
    timer: TimerInfo, known: set[str], task_ids: set[str], on_user_task: bool = True
) -> list[DefinitionProblem]:
    iso = timer_rules.iso_problems(timer, on_user_task)
    if iso is not None:
        return iso
    found = []
    expression = timer.expression or ""
    errors = check_source(expression, "eval")
    if errors:
        return [DefinitionProblem(timer.bpmn_id, "期限表达式无效：" + "；".join(errors))]
    tree = ast.parse(expression, mode="eval")
    calls = _calls(tree, set(DEADLINE_FUNCTIONS))
    if not calls:
        found.append(
            DefinitionProblem(
                timer.bpmn_id,
                "期限表达式须使用 working_days、calendar_days、working_days_before 或 day_end",
            )
        )
    for call in calls:
        name = call.func.id  # type: ignore[attr-defined]
        wanted = DEADLINE_FUNCTIONS[name]
        if len(call.args) != wanted or call.keywords:
            example = "received(), 3" if wanted == 2 else "performance_due"
            found.append(
                DefinitionProblem(
                    timer.bpmn_id,
                    f"{name}() 须有 {wanted} 个参数：起算事件"
                    + ("和天数" if wanted == 2 else "")
                    + f"，例如 {name}({example})",
                )
            )
    for call in _calls(tree, set(START_FUNCTIONS)):
        found.extend(_start_problems(timer, call, task_ids, on_user_task))
    for name in sorted(_free_names(tree) - known):
        found.append(
            DefinitionProblem(
                timer.bpmn_id,
                f"期限表达式使用了流程数据中没有的字段：{name}"
                "（应为本流程表单的字段、脚本赋值的变量或启动时提供的数据）",
            )
        )
    for key in timer.properties.get("escalate_to", "").split(","):
        if key.strip() and key.strip() not in ESCALATION_TARGETS:
            found.append(
                DefinitionProblem(
                    timer.bpmn_id,
                    f"未知的催办对象：{key.strip()}（可用：{_list(ESCALATION_TARGETS)}）",
                )
            )
    purpose = timer.properties.get("purpose")
    if purpose and purpose not in TIMER_PURPOSES:
        found.append(
            DefinitionProblem(
                timer.bpmn_id, f"未知的定时器用途：{purpose}（可用：{_list(TIMER_PURPOSES)}）"
            )
        )
    basis = timer.properties.get("basis")
    if basis and basis not in DEADLINE_BASES:
        found.append(
            DefinitionProblem(
                timer.bpmn_id,
                f"未知的期限依据：{basis}（text：《十项机制》规定；local：本地规则）",
            )
        )
    if on_user_task and timer.interrupting:
        found.append(
            DefinitionProblem(
                timer.bpmn_id,
                "期限计时器为中断型：到期时将取消所附的任务（期限一般应设为非中断型）",
                severity="warning",
            )
        )
    return found


def _start_problems(
    timer: TimerInfo, call: ast.Call, task_ids: set[str], on_user_task: bool
) -> list[DefinitionProblem]:
    name = call.func.id  # type: ignore[attr-defined]
    if name == "received":
        if call.args or call.keywords:
            return [DefinitionProblem(timer.bpmn_id, "received() 不带参数")]
        if not on_user_task:
            return [DefinitionProblem(timer.bpmn_id, "received() 只能用于附在用户任务上的期限")]
        return []
    arg = call.args[0] if len(call.args) == 1 and not call.keywords else None
    if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
        return [
            DefinitionProblem(
                timer.bpmn_id,
                'submitted() 须有一个参数：用户任务的 ID，例如 submitted("agency_reply")',
            )
        ]
    if arg.value not in task_ids:
        return [
            DefinitionProblem(
                timer.bpmn_id,
                f"submitted() 引用的任务不存在：{arg.value}（可用：{_list(task_ids)}）",
            )
        ]
    return []


def _timed_party_types_start(
    timer: TimerInfo, task: UserTaskInfo, typed: dict[str, str]
) -> list[DefinitionProblem]:
    """A deadline may not count from a date the timed party types itself: a field of a form
    of the timed task's own lane (the lane's unit could move its own deadline)."""
    try:
        tree = ast.parse(timer.expression or "", mode="eval")
    except SyntaxError:
        return []  # reported by _timer_problems
    found = []
    for call in _calls(tree, set(DEADLINE_FUNCTIONS)):
        start = call.args[0] if call.args else None
        if isinstance(start, ast.Name) and start.id in typed:
            found.append(
                DefinitionProblem(
                    timer.bpmn_id,
                    f"期限不能自被计时一方自己填写的日期起算：{start.id} 是“{task.lane}”"
                    f"填写的表单字段（{typed[start.id]}）。请改用系统记录的事件："
                    'received()（任务送达本单位时）或 submitted("任务ID")（某任务提交时）',
                )
            )
    return found


def _fields_by_lane(parsed: ParsedProcess, forms: dict[str, Any]) -> dict[str, dict[str, str]]:
    """lane -> {field: form title} of the forms its user tasks fill in."""
    lanes: dict[str, dict[str, str]] = {}
    for task in parsed.user_tasks:
        schema = forms.get(task.properties.get("formJsonSchemaFilename", ""))
        if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
            title = str(schema.get("title") or task.name)
            for field in schema["properties"]:
                lanes.setdefault(task.lane, {}).setdefault(field, title)
    return lanes


def _calls(tree: ast.AST, names: set[str]) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names
    ]


def _called_names(source: str, mode: str) -> set[str]:
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError:
        return set()
    return {c.func.id for c in _calls(tree, set(START_FUNCTIONS))}  # type: ignore[attr-defined]


def _form_fields(task: UserTaskInfo, forms: dict[str, Any]) -> set[str] | None:
    """The fields of the task's form; None when it has none that can be read."""
    schema = forms.get(task.properties.get("formJsonSchemaFilename", ""))
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
        return set(schema["properties"])
    return None


def known_fields(parsed: ParsedProcess, forms: dict[str, Any]) -> set[str]:
    """Every name the process data can hold: form fields, script variables, and the start data
    the routing table declares for this process (``processes/routing.toml``)."""
    names = set(routing.current().start_fields(parsed.process_id)) | set(parsed.message_variables)
    for schema in forms.values():
        if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
            names |= set(schema["properties"])
    for script in parsed.scripts:
        names |= assigned_names(script.source)
    return names


def assigned_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source, mode="exec")
    except SyntaxError:
        return set()
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }


def _free_names(tree: ast.AST) -> set[str]:
    """Names an expression reads from the data (not the functions the sandbox offers)."""
    bound = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }  # comprehension variables
    offered = (
        set(DEADLINE_FUNCTIONS) | START_FUNCTIONS | set(SAFE_FUNCTIONS) | {"True", "False", "None"}
    )
    return (
        {
            node.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
        }
        - bound
        - offered
    )


def _list(names: Any) -> str:
    return "、".join(sorted(names))
