"""Deploy-time rules that need the product's configuration: who starts the process and who
could ever send the messages it waits for."""

from __future__ import annotations

from app.engine import DefinitionProblem, DiagramFacts, MessageWait
from app.services.design.routing_terms import TRIGGERS
from app.services.execution import lanes

COURT_MESSAGE = "法院消息："


def sendable_messages() -> dict[str, str]:
    """Message name -> what sends it: the court messages (the routing table's triggers that
    are court messages, delivered to the instances waiting for them). A general message API
    would add its names here."""
    return {
        name: trigger.label.removeprefix(COURT_MESSAGE)
        for name, trigger in TRIGGERS.items()
        if trigger.label.startswith(COURT_MESSAGE)
    }


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
    sendable = sendable_messages()
    for wait in facts.message_waits:
        found.extend(_message_problem(wait, sendable))
    return found


def _message_problem(wait: MessageWait, sendable: dict[str, str]) -> list[DefinitionProblem]:
    known = "、".join(f"{name}（{label}）" for name, label in sendable.items())
    if wait.kind == "start":
        return [
            DefinitionProblem(
                wait.element_id,
                f"消息开始事件（消息“{wait.message}”）：本产品中没有来源会发送此消息来发起流程。"
                "流程由人（开始事件所在泳道的单位）或路由表 processes/routing.toml 发起："
                "请改为空开始事件，需要由法院消息发起时在路由表中配置",
            )
        ]
    if wait.message in sendable:
        return []
    return [
        DefinitionProblem(
            wait.element_id,
            f"等待的消息“{wait.message or '（未指定）'}”本产品中没有来源会发送，"
            f"流程将永远停在这里。可等待的消息：{known}",
        )
    ]
