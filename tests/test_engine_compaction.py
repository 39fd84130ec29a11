"""The stored workflow state keeps what can still happen, not the whole history: a looping
instance's state and step cost stay flat, and nothing a person sees changes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.engine import Engine, parse_bpmn
from app.workdays import WorkCalendar
from tests.samples import PathData, all_paths, load
from tests.test_diagrams import _parse, _run

LOOP_BPMN = (
    """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="Definitions_rounds" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="rounds" name="rounds" isExecutable="true">
    <bpmn:laneSet id="LaneSet_rounds">
      <bpmn:lane id="Lane_center" name="LANE">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>merge</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>fork</bpmn:flowNodeRef><bpmn:flowNodeRef>review</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>check</bpmn:flowNodeRef><bpmn:flowNodeRef>deadline</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>late</bpmn:flowNodeRef><bpmn:flowNodeRef>join</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>count</bpmn:flowNodeRef><bpmn:flowNodeRef>more</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="merge"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:incoming>f_again</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:parallelGateway id="fork"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="review" name="review"><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="deadline" cancelActivity="false" attachedToRef="review">
      <bpmn:outgoing>f_late</bpmn:outgoing>
      <bpmn:timerEventDefinition id="Timer_deadline">
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">due</bpmn:timeDate>
      </bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:endEvent id="late"><bpmn:incoming>f_late</bpmn:incoming></bpmn:endEvent>
    <bpmn:userTask id="check" name="check"><bpmn:incoming>f4</bpmn:incoming>
      <bpmn:outgoing>f6</bpmn:outgoing></bpmn:userTask>
    <bpmn:parallelGateway id="join"><bpmn:incoming>f5</bpmn:incoming>
      <bpmn:incoming>f6</bpmn:incoming><bpmn:outgoing>f7</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:scriptTask id="count"><bpmn:incoming>f7</bpmn:incoming><bpmn:outgoing>f8</bpmn:outgoing>
      <bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:exclusiveGateway id="more"><bpmn:incoming>f8</bpmn:incoming>
      <bpmn:outgoing>f_again</bpmn:outgoing><bpmn:outgoing>f_done</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="end"><bpmn:incoming>f_done</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="merge" />
    <bpmn:sequenceFlow id="f2" sourceRef="merge" targetRef="fork" />
    <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="review" />
    <bpmn:sequenceFlow id="f4" sourceRef="fork" targetRef="check" />
    <bpmn:sequenceFlow id="f5" sourceRef="review" targetRef="join" />
    <bpmn:sequenceFlow id="f6" sourceRef="check" targetRef="join" />
    <bpmn:sequenceFlow id="f_late" sourceRef="deadline" targetRef="late" />
    <bpmn:sequenceFlow id="f7" sourceRef="join" targetRef="count" />
    <bpmn:sequenceFlow id="f8" sourceRef="count" targetRef="more" />
    <bpmn:sequenceFlow id="f_again" sourceRef="more" targetRef="merge">
      CONDn &lt; limit</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_done" sourceRef="more" targetRef="end">
      CONDn &gt;= limit</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>
""".replace("LANE", "区调处中心")
    .replace("COND", '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">')
    .encode()
)
START = datetime.fromisoformat("2026-03-02T10:00:00+08:00")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _engine(clock: Clock | None = None) -> Engine:
    calendar = WorkCalendar()
    return Engine(calendar=lambda: calendar, now=clock or (lambda: START))


def _rounds(
    restore: bool, limit: int, late_every: int = 6
) -> tuple[Engine, object, list[str], list[int]]:
    """Run the looping diagram: the clock passes the deadline every ``late_every`` steps, the
    branches are completed in alternating order. Returns what a person would have seen."""
    spec_json = parse_bpmn(LOOP_BPMN, "rounds.bpmn").spec_json
    clock = Clock()
    engine = _engine(clock)
    due = (START + timedelta(days=1)).isoformat()
    workflow = engine.start(spec_json, {"n": 0, "limit": limit, "due": due})
    seen: list[str] = []
    sizes: list[int] = []
    for step in range(4 * limit):
        ready = sorted(engine.ready_user_tasks(workflow), key=lambda t: t.bpmn_id)
        if not ready:
            break
        task = ready[step % len(ready)]
        seen.append(task.bpmn_id)
        clock.now = START + timedelta(days=2 if step % late_every == 0 else 0)
        engine.advance(workflow)
        engine.complete(workflow, task.spiff_id, {task.bpmn_id: step, "last": task.bpmn_id})
        state = engine.dump(workflow)
        sizes.append(len(state))
        if restore:
            workflow = engine.load(spec_json, state)
    return engine, workflow, seen, sizes


def test_a_restored_looping_instance_behaves_like_one_kept_in_memory():
    engine, kept, seen_kept, _ = _rounds(restore=False, limit=12)
    engine_r, restored, seen_restored, _ = _rounds(restore=True, limit=12)
    assert engine.is_completed(kept) and engine_r.is_completed(restored)
    assert seen_restored == seen_kept
    assert engine_r.data(restored) == engine.data(kept)
    assert engine_r.data(restored)["n"] == 12
    assert engine_r.element_states(restored) == engine.element_states(kept)


def test_stored_state_does_not_grow_with_rounds():
    # one late round only: an ended branch (the deadline's path to its end event) is kept
    # until the process ends, because SpiffWorkflow merges its data there
    _, _, _, sizes = _rounds(restore=True, limit=40, late_every=1000)
    early, late = sizes[10], sizes[-10]
    assert late < 1.3 * early, (early, late)


def test_element_states_mark_what_was_done_before_the_last_step():
    engine, workflow, _, _ = _rounds(restore=True, limit=3)
    states = engine.element_states(workflow)
    assert {states[e] for e in ("review", "check", "fork", "join", "count", "deadline")} == {
        "completed"
    }


@pytest.mark.parametrize(("process_id", "path_name"), all_paths())
def test_sample_path_restored_matches_in_memory(process_id: str, path_name: str):
    """Every mechanism's sample path: same tasks, data and viewer states with save/restore."""
    sample = load(process_id)
    spec_json = _parse(process_id).spec_json
    results = []
    for restore in (False, True):
        data = PathData(sample["paths"][path_name])
        start = {**sample["start"], **data.start(), "lane_owners": sample["lane_owners"]}
        engine, workflow, seen = _run(spec_json, start, data.next, restore)
        results.append((seen, engine.data(workflow), engine.element_states(workflow)))
    assert results[1] == results[0]
