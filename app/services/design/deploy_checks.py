"""Deploy-time rules that need the product's configuration: who starts the process, and that
every message it waits for has a name something can send."""

from __future__ import annotations

from app.engine import DefinitionProblem, DiagramFacts, MessageWait
from app.services.execution import lanes


def problems(facts: DiagramFacts) -> list[DefinitionProblem]:
    found: list[DefinitionProblem] = []
    if facts.start_lane:
        issue = lanes.lane_problem(facts.start_lane)
        if issue:
            found.append(
                DefinitionProblem(
                    facts.start_event,
                    f"开始事件所在的{issue}：没有哪个单位能发起此流程（部署后人人被拒绝）。"
                    "请把泳道改名为发起单位的类型",
                )
            )
    for wait in facts.message_waits:
        found.extend(_message_problem(wait))
    return found


def _message_problem(wait: MessageWait) -> list[DefinitionProblem]:
    """Any named message can be sent (court events by their names, every other through
    ``POST /api/v1/messages``); a wait for a message without a name never ends."""
    if wait.message:
        return []
    kind = "消息开始事件" if wait.kind == "start" else "等待消息的元素"
    return [
        DefinitionProblem(
            wait.element_id,
            f"{kind}没有指定消息（messageRef 指向一个有名称的消息）：没有来源能发送它，"
            "流程将永远停在这里",
        )
    ]
