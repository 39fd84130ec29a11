"""``--only throughput``: instances/s of the ten-step sequence, raw, serialized and through
the service layer, in interleaved rounds."""

from __future__ import annotations

import time
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from quickbench.common import SEQUENCE, Sizes, log
from quickbench.raw import raw_instance, raw_spec
from quickbench.service import service_instance
from quickbench.workspace import Workspace, actor_for, definition_ids


def bench_throughput(ws: Workspace, sizes: Sizes) -> dict[str, Any]:
    """Instances/s of the 10-step sequence: SpiffWorkflow in memory, serialized, our service.

    The three run in interleaved rounds so that machine noise hits them alike.
    """
    spec = raw_spec(ws.bpmn[SEQUENCE], SEQUENCE)
    script_engine = PythonScriptEngine()
    _, db = ws.database("service")
    def_id = definition_ids(db)[SEQUENCE]
    actor = actor_for(db)
    raw_instance(spec, script_engine, True)  # warm-up: imports, caches
    service_instance(db, actor, def_id)
    totals = {"raw": 0.0, "raw_serialized": 0.0, "service": 0.0, "service_complete": 0.0}
    counts = {"raw": 0, "raw_serialized": 0, "service": 0, "service_tasks": 0}
    for r in range(sizes.rounds):
        t = time.perf_counter()
        for _ in range(sizes.raw_per_round):
            raw_instance(spec, script_engine, False)
        totals["raw"] += time.perf_counter() - t
        t = time.perf_counter()
        for _ in range(sizes.raw_serialized_per_round):
            raw_instance(spec, script_engine, True)
        totals["raw_serialized"] += time.perf_counter() - t
        for _ in range(sizes.service_per_round):
            start_s, complete_s, steps = service_instance(db, actor, def_id)
            totals["service"] += start_s + complete_s
            totals["service_complete"] += complete_s
            counts["service_tasks"] += steps
        counts["raw"] += sizes.raw_per_round
        counts["raw_serialized"] += sizes.raw_serialized_per_round
        counts["service"] += sizes.service_per_round
        log(f"throughput round {r + 1}/{sizes.rounds} done")
    db.dispose()
    result = {
        "raw_engine_per_s": counts["raw"] / totals["raw"],
        "raw_engine_serialized_per_s": counts["raw_serialized"] / totals["raw_serialized"],
        "service_per_s": counts["service"] / totals["service"],
        "service_tasks_per_s": counts["service_tasks"] / totals["service_complete"],
        "service_task_complete_ms": 1000 * totals["service_complete"] / counts["service_tasks"],
    }
    log(
        "raw {raw_engine_per_s:.0f}/s, serialized {raw_engine_serialized_per_s:.1f}/s, "
        "service {service_per_s:.1f}/s ({service_tasks_per_s:.0f} tasks/s)".format(**result)
    )
    return result
