"""The benchmark's three diagrams: ten sequential user tasks, a loop, a task with a deadline.

Every task goes to the center's lane and shows the one form ``FORM_FILE``."""

from __future__ import annotations

from quickbench.common import FORM_FILE, LANE, LOOP, SEQUENCE, SEQUENCE_STEPS, TIMER

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
    'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
)


def _definitions(process_id: str, name: str, nodes: list[str], elements: list[str]) -> bytes:
    refs = "\n".join(f"        <bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in nodes)
    body = "\n".join(elements)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NAMESPACES} id="Definitions_{process_id}"
                  targetNamespace="http://bpmn.io/schema/bpmn" exporter="huajie-bench">
  <bpmn:collaboration id="Collaboration_{process_id}">
    <bpmn:participant id="Participant_{process_id}" name="{name}" processRef="{process_id}" />
  </bpmn:collaboration>
  <bpmn:process id="{process_id}" name="{name}" isExecutable="true">
    <bpmn:laneSet id="LaneSet_{process_id}">
      <bpmn:lane id="Lane_center" name="{LANE}">
{refs}
      </bpmn:lane>
    </bpmn:laneSet>
{body}
  </bpmn:process>
</bpmn:definitions>
""".encode()


def _properties(**props: str) -> str:
    items = "".join(f'<spiffworkflow:property name="{k}" value="{v}" />' for k, v in props.items())
    return (
        f"<bpmn:extensionElements><spiffworkflow:properties>{items}"
        "</spiffworkflow:properties></bpmn:extensionElements>"
    )


def _user_task(task_id: str, name: str, incoming: list[str], outgoing: str) -> str:
    flows = "".join(f"<bpmn:incoming>{f}</bpmn:incoming>" for f in incoming)
    return (
        f'    <bpmn:userTask id="{task_id}" name="{name}">'
        f"{_properties(formJsonSchemaFilename=FORM_FILE)}"
        f"{flows}<bpmn:outgoing>{outgoing}</bpmn:outgoing></bpmn:userTask>"
    )


def _flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'    <bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}" />'
    return (
        f'    <bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


def bpmn_sequence(steps: int = SEQUENCE_STEPS) -> bytes:
    """start → step_01 → … → step_NN → end, every step a user task of the center."""
    ids = [f"step_{i:02d}" for i in range(1, steps + 1)]
    chain = ["start", *ids, "end"]
    elements = [
        '    <bpmn:startEvent id="start"><bpmn:outgoing>f_0</bpmn:outgoing></bpmn:startEvent>'
    ]
    for i, task_id in enumerate(ids, start=1):
        elements.append(_user_task(task_id, f"第{i}步", [f"f_{i - 1}"], f"f_{i}"))
    elements.append(
        f'    <bpmn:endEvent id="end"><bpmn:incoming>f_{steps}</bpmn:incoming></bpmn:endEvent>'
    )
    elements += [_flow(f"f_{i}", chain[i], chain[i + 1]) for i in range(len(chain) - 1)]
    return _definitions(SEQUENCE, "基准：十步顺序流程", chain, elements)


def bpmn_loop() -> bytes:
    """start → step (user task) → count (n = n + 1) → gateway: back to step while n < limit."""
    elements = [
        '    <bpmn:startEvent id="start"><bpmn:outgoing>f_start</bpmn:outgoing></bpmn:startEvent>',
        _user_task("step", "循环一步", ["f_start", "f_again"], "f_count"),
        '    <bpmn:scriptTask id="count" name="计数"><bpmn:incoming>f_count</bpmn:incoming>'
        "<bpmn:outgoing>f_gateway</bpmn:outgoing><bpmn:script>n = n + 1</bpmn:script>"
        "</bpmn:scriptTask>",
        '    <bpmn:exclusiveGateway id="more" name="继续？">'
        "<bpmn:incoming>f_gateway</bpmn:incoming>"
        "<bpmn:outgoing>f_again</bpmn:outgoing><bpmn:outgoing>f_done</bpmn:outgoing>"
        "</bpmn:exclusiveGateway>",
        '    <bpmn:endEvent id="end"><bpmn:incoming>f_done</bpmn:incoming></bpmn:endEvent>',
        _flow("f_start", "start", "step"),
        _flow("f_count", "step", "count"),
        _flow("f_gateway", "count", "more"),
        _flow("f_again", "more", "step", "n &lt; limit"),
        _flow("f_done", "more", "end", "n &gt;= limit"),
    ]
    return _definitions(LOOP, "基准：循环流程", ["start", "step", "count", "more", "end"], elements)


def bpmn_timer() -> bytes:
    """One user task with a non-interrupting deadline: ``due`` when given, else 1 working day.

    ``due`` (an ISO time) lets the lag figure set deadlines seconds ahead; the product only
    deploys deadline expressions that call the calendar, hence the ``working_days`` fallback.
    """
    elements = [
        '    <bpmn:startEvent id="start"><bpmn:outgoing>f_start</bpmn:outgoing></bpmn:startEvent>',
        _user_task("work", "办理", ["f_start"], "f_end"),
        '    <bpmn:boundaryEvent id="deadline" name="期限" cancelActivity="false" '
        f'attachedToRef="work">{_properties(escalate_to="")}'
        "<bpmn:outgoing>f_late</bpmn:outgoing>"
        '<bpmn:timerEventDefinition id="TimerEventDefinition_deadline">'
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">due or working_days(received(), 1)'
        "</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:boundaryEvent>",
        '    <bpmn:endEvent id="end"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>',
        '    <bpmn:endEvent id="end_late"><bpmn:incoming>f_late</bpmn:incoming></bpmn:endEvent>',
        _flow("f_start", "start", "work"),
        _flow("f_end", "work", "end"),
        _flow("f_late", "deadline", "end_late"),
    ]
    nodes = ["start", "work", "deadline", "end", "end_late"]
    return _definitions(TIMER, "基准：期限", nodes, elements)
