"""``--only steps``: the cost of one more step of a looping process at 10 and at 200 completed
steps, raw (serialized) and through the service layer."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from quickbench.common import LOOP, Sizes, log
from quickbench.raw import SERIALIZER, raw_spec, raw_start, raw_step
from quickbench.service import open_task_id, service_complete, service_start
from quickbench.workspace import Workspace, actor_for, definition_ids


def _paired_step_costs(
    start: Callable[[], Any], step: Callable[[Any], Any], window: int
) -> tuple[list[float], list[float]]:
    """Seconds of one step at 10.. and at 200.. completed steps, measured in pairs.

    Two instances are driven to 10 and 200 completed steps, then their next ``window`` steps
    alternate, so machine noise hits both sides alike. ``step(state)`` returns the new state.
    """
    young, old = start(), start()
    for _ in range(10):
        young = step(young)
    for _ in range(200):
        old = step(old)
    at_10, at_200 = [], []
    for _ in range(window):
        t = time.perf_counter()
        young = step(young)
        at_10.append(time.perf_counter() - t)
        t = time.perf_counter()
        old = step(old)
        at_200.append(time.perf_counter() - t)
    return at_10, at_200


def bench_step_cost(ws: Workspace, sizes: Sizes) -> dict[str, Any]:
    """One more step of the looping process at 10 and at 200 completed steps (medians).

    Raw: SpiffWorkflow alone, deserialize + complete + serialize. Service: ``complete_task`` in
    its own transaction.
    """
    data = {"n": 0, "limit": 1_000_000}
    spec = raw_spec(ws.bpmn[LOOP], LOOP)
    script_engine = PythonScriptEngine()

    def raw_step_serialized(state: str) -> str:
        workflow = SERIALIZER.deserialize_json(state)
        workflow.script_engine = script_engine
        assert raw_step(workflow)
        return SERIALIZER.serialize_json(workflow)

    _, db = ws.database("steps")
    def_id = definition_ids(db)[LOOP]
    actor = actor_for(db)

    def service_step(task_id: int) -> int:
        next_id = service_complete(db, actor, task_id)
        assert next_id is not None
        return next_id

    raw_10: list[float] = []
    raw_200: list[float] = []
    svc_10: list[float] = []
    svc_200: list[float] = []
    for _ in range(sizes.step_instances):
        a, b = _paired_step_costs(
            lambda: SERIALIZER.serialize_json(raw_start(spec, script_engine, data)),
            raw_step_serialized,
            sizes.step_window,
        )
        raw_10 += a
        raw_200 += b
        a, b = _paired_step_costs(
            lambda: open_task_id(db, service_start(db, actor, def_id, data)),
            service_step,
            sizes.step_window,
        )
        svc_10 += a
        svc_200 += b
    db.dispose()
    raw = statistics.median(raw_10), statistics.median(raw_200)
    svc = statistics.median(svc_10), statistics.median(svc_200)
    log(f"step cost raw: {1000 * raw[0]:.2f} ms at 10, {1000 * raw[1]:.2f} ms at 200")
    log(f"step cost service: {1000 * svc[0]:.2f} ms at 10, {1000 * svc[1]:.2f} ms at 200")
    return {
        "step_cost_ratio_200_vs_10": svc[1] / svc[0],
        "step_ms_at_10": 1000 * svc[0],
        "step_ms_at_200": 1000 * svc[1],
        "raw_step_cost_ratio_200_vs_10": raw[1] / raw[0],
        "raw_serialized_step_ms_at_10": 1000 * raw[0],
        "raw_serialized_step_ms_at_200": 1000 * raw[1],
    }
