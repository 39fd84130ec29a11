"""Deploy-time rules that need the product's configuration: who starts the process, that
every message it waits for has a name something can send, and that something receives what
it sends."""

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


def send_warnings(facts: DiagramFacts, received: frozenset[str]) -> list[DefinitionProblem]:
    """A message the diagram sends that no deployed process (nor this one) waits for or starts
    with would be delivered to nobody: said at deploy, allowed (the receiver may come next)."""
    received = received | {wait.message for wait in facts.message_waits}
    return [
        DefinitionProblem(
            send.element_id,
            f"发送的消息“{send.message}”目前没有已部署的流程在等待，也没有流程以它开始："
            "发出时将无人接收（历史中记为未送达）。请先部署接收它的流程",
            severity="warning",
        )
        for send in facts.message_sends
        if send.message not in received
    ]
