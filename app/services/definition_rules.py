"""The product's rules for a deployable definition, beyond what SpiffWorkflow's parser checks.

Each problem names the diagram element it is about, so the modeler can mark it. Errors block
deployment; warnings are shown and allowed (the diagram runs, but is probably not what was meant).
"""

from __future__ import annotations

import ast
from typing import Any

from app.engine import DefinitionProblem, ParsedProcess, TimerInfo, check_source
from app.engine.sandbox import SAFE_FUNCTIONS
from app.models import ROLES

DEADLINE_FUNCTIONS = frozenset({"working_days", "calendar_days"})
ASSIGNEE_RULES = frozenset({"designated_reviewer"})  # projections.assignee_for
ESCALATION_TARGETS = frozenset({"center", "bureau", "agency_head"})  # projections.escalate

# Names the services put into process data when they start an instance or deliver a message
# (cases.register / start_for_case, messages._start and _start_loss_follow_up, evaluation).
# A deadline may count from these as well as from form fields and script variables.
SERVICE_DATA_FIELDS = frozenset({
    "lane_owners", "court_case_no", "plaintiff", "agency_name", "subject", "claims", "court",
    "received_on", "loss_warning_received", "warning_letter_no", "warning_reason",
    "notice_received_on", "judgment_outcome", "effective_on", "performance_deadline",
    "orders_new_act", "judgment_received_on", "review_units", "government_lost",
    "losing_unit_names", "unit_name", "unit_code", "period", "lost_cases", "concluded_cases",
    "loss_rate", "threshold",
})  # fmt: skip


def problems(parsed: ParsedProcess, forms: dict[str, Any]) -> list[DefinitionProblem]:
    """Role, assignee, script and deadline rules, plus the warnings."""
    found: list[DefinitionProblem] = []
    known = known_fields(parsed, forms)
    for script in parsed.scripts:
        for error in check_source(script.source, "exec"):
            found.append(DefinitionProblem(script.bpmn_id, f"脚本（{script.kind}）无效：{error}"))
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
        if not task.named:
            found.append(
                DefinitionProblem(
                    task.bpmn_id, "用户任务没有名称（待办中将显示其 ID）", severity="warning"
                )
            )
        for timer in task.timers:
            found.extend(_timer_problems(timer, known))
    for timer in parsed.other_timers:
        found.extend(_timer_problems(timer, known, on_user_task=False))
    return found


def _timer_problems(
    timer: TimerInfo, known: set[str], on_user_task: bool = True
) -> list[DefinitionProblem]:
    found = []
    expression = timer.expression or ""
    errors = check_source(expression, "eval")
    if errors:
        return [DefinitionProblem(timer.bpmn_id, "期限表达式无效：" + "；".join(errors))]
    tree = ast.parse(expression, mode="eval")
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in DEADLINE_FUNCTIONS
    ]
    if not calls:
        found.append(
            DefinitionProblem(timer.bpmn_id, "期限表达式须使用 working_days 或 calendar_days")
        )
    for call in calls:
        if len(call.args) != 2 or call.keywords:
            found.append(
                DefinitionProblem(
                    timer.bpmn_id,
                    f"{call.func.id}() 须有两个参数：起算日期字段和天数，例如 "  # type: ignore[attr-defined]
                    f"{call.func.id}(notice_date, 3)",  # type: ignore[attr-defined]
                )
            )
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
    if on_user_task and timer.interrupting:
        found.append(
            DefinitionProblem(
                timer.bpmn_id,
                "期限计时器为中断型：到期时将取消所附的任务（期限一般应设为非中断型）",
                severity="warning",
            )
        )
    return found


def known_fields(parsed: ParsedProcess, forms: dict[str, Any]) -> set[str]:
    """Every name the process data can hold: form fields, script variables, service data."""
    names = set(SERVICE_DATA_FIELDS) | set(parsed.message_variables)
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
    offered = DEADLINE_FUNCTIONS | set(SAFE_FUNCTIONS) | {"True", "False", "None"}
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
