"""The last line of a run: versions, the parts' figures, the ratios between them, and each
target of the issue with its value and pass/fail."""

from __future__ import annotations

import os
import platform
from importlib.metadata import version
from typing import Any

from quickbench.common import RUN_CLOCK, rounded

TARGETS: list[tuple[str, str, float]] = [
    ("service_vs_raw_serialized", ">=", 0.5),
    ("step_cost_ratio_200_vs_10", "<=", 1.5),
    ("inbox_p95_ms_100k", "<=", 20.0),
    ("inbox_page_p95_ms_100k", "<=", 20.0),
    ("timer_pass_ms_due10_of_100k", "<=", 100.0),
    ("timer_lag_p99_s", "<=", 2.0),
    ("http_task_complete_p50_ms", "<=", 25.0),
    ("http_tasks_per_s", ">=", 200.0),
]


def targets(result: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, op, limit in TARGETS:
        value = result.get(name)
        ok = None if value is None else (value >= limit if op == ">=" else value <= limit)
        out[name] = {"target": f"{op} {limit:g}", "value": rounded(value), "pass": ok}
    if "pages" in result:
        missed = sorted({*result["pages_over_300ms"], *result["pages_failed"]})
        out["pages_p95_under_300ms"] = {
            "target": "every page p95 < 300 ms on the demo data, each answering 200",
            "value": missed,
            "pass": not missed,
        }
    return out


def final_report(mode: str, chosen: list[str], result: dict[str, Any]) -> dict[str, Any]:
    """The run's JSON object: figures rounded, the ratios between parts, the targets."""
    if "service_per_s" in result:
        result["service_vs_raw_serialized"] = (
            result["service_per_s"] / result["raw_engine_serialized_per_s"]
        )
    if "http_tasks_per_s" in result and "service_tasks_per_s" in result:
        result["http_vs_service"] = result["http_tasks_per_s"] / result["service_tasks_per_s"]
    out: dict[str, Any] = {
        "mode": mode,
        "python": platform.python_version(),
        "spiffworkflow": version("SpiffWorkflow"),
        "sqlalchemy": version("SQLAlchemy"),
        "cpus": os.cpu_count(),
        "figures": chosen,
        "elapsed_s": round(RUN_CLOCK.elapsed_s(), 1),
    }
    out.update({k: rounded(v) if isinstance(v, float) else v for k, v in result.items()})
    out["targets"] = targets(result)
    return out
