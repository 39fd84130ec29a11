"""Deploy checks for ISO 8601 timers (``timeDuration`` PT72H, ``timeDate`` as a date-time,
``timeCycle`` R3/PT1H) beside the product's deadlines (``working_days``/``calendar_days``,
checked by ``definition_rules``)."""

from __future__ import annotations

import re

from app.engine import DefinitionProblem, TimerInfo, check_source
from app.engine.iso_timers import is_cron, is_cycle, is_date, is_duration, literal

KIND_WORDS = {"timeDate": "日期（timeDate）", "timeDuration": "时长（timeDuration）",
              "timeCycle": "周期（timeCycle）"}  # fmt: skip


def iso_problems(timer: TimerInfo, on_user_task: bool) -> list[DefinitionProblem] | None:
    """The problems of an ISO timer, or None when the timer is a product deadline for the
    deadline rules to judge: a ``timeDate`` whose expression is not one ISO date-time, or any
    ``timeDate`` that is a user task's deadline (a fixed date there would not follow the
    calendar; a ``purpose`` of ``reminder`` or ``milestone`` may be a fixed date)."""
    expression = (timer.expression or "").strip()
    text = literal(expression)
    deadline = on_user_task and timer.properties.get("purpose", "deadline") == "deadline"
    if timer.kind == "timeDate" and (text is None or deadline):
        return None
    where = f"定时器的{KIND_WORDS.get(timer.kind, timer.kind)}"
    if text is None:
        if timer.kind == "timeCycle" and is_cron(expression):
            return [_cron(timer, expression)]
        if re.fullmatch(r"[PR]\w*(/\S*)?", expression):  # meant as ISO text, but it is not
            text = expression
        else:
            return _expression_problems(timer, expression, where)
    if timer.kind == "timeDate":
        ok, example = is_date(text), "2026-10-01T09:00:00+08:00"
    elif timer.kind == "timeDuration":
        ok, example = is_duration(text), "PT72H（72 小时）或 P3D（3 日）"
    else:
        if is_cron(text):
            return [_cron(timer, text)]
        ok, example = is_cycle(text), "R3/PT1H（每小时一次，共 3 次）"
    if ok:
        return []
    return [
        DefinitionProblem(timer.bpmn_id, f"{where}不是 ISO 8601 格式：{text}（例如 {example}）")
    ]


def _expression_problems(timer: TimerInfo, expression: str, where: str) -> list[DefinitionProblem]:
    errors = check_source(expression, "eval")
    if errors:
        return [DefinitionProblem(timer.bpmn_id, f"{where}表达式无效：" + "；".join(errors))]
    return []  # a deadline function here is named by the checks before the parser


def _cron(timer: TimerInfo, text: str) -> DefinitionProblem:
    return DefinitionProblem(
        timer.bpmn_id,
        f"不支持 cron 表达式（{text}）：请改写为 ISO 8601 重复周期，"
        "如 R3/PT1H（每小时一次，共 3 次）、R/P1D（每天一次，不限次数）、"
        "R5/2026-10-08T09:00:00+08:00/P1D（自该时刻起每天一次，共 5 次）",
    )
