#!/usr/bin/env python3
"""The huajie benchmark: what one step costs, from bare SpiffWorkflow to the HTTP API.

Run ``scripts/bench`` (quick, about five minutes on two cores, three of them the page walk) or
``scripts/bench --full``. Everything is measured in one run, so the ratios hold on a noisy
machine; progress goes to stderr and the last line of stdout is one JSON object:

* ``raw_engine_per_s``: SpiffWorkflow alone, in memory, instances/s of a process of ten
  sequential user tasks (the physical limit of this stack);
* ``raw_engine_serialized_per_s``: the same with serialize/deserialize after every step;
* ``service_per_s``: the same process through ``app.services.execution.instances`` (start + ten
  ``complete_task``), one ``db.write()`` transaction per step, SQLite file;
  ``service_tasks_per_s`` counts the ``complete_task`` transactions alone;
* ``http_task_complete_p50_ms`` / ``_p99_ms`` and ``http_tasks_per_s``: ``POST
  /api/v1/tasks/{id}/complete`` against the production server on loopback (``huajie serve
  --workers`` 2 × cores + 1: granian processes of one thread each; ``HUAJIE_BENCH_WORKERS=N``
  to change, 1 is waitress in one process), 8 clients (a light socket client), each completing
  back to back;
* ``step_cost_ratio_200_vs_10``: through the service layer, the cost of one more step of a
  looping process with 200 completed steps divided by the same with 10 (flat is 1.0);
  ``raw_step_cost_ratio_200_vs_10`` is the same for SpiffWorkflow alone, serialized;
* ``inbox_p95_ms_100k``: ``queries.inbox`` of a unit with 100,000 open tasks;
  ``inbox_page_p95_ms_100k``: the inbox page's query (``inbox.page``, 50 tasks) for its first
  20 pages, each following the last; ``inbox_counts_ms_100k``: its counts per filter;
* ``timer_pass_ms_due10_of_100k``: ``timer_pass.run_pass`` firing 10 due timers
  (real instances) among 100,000 waiting ones;
* ``timer_lag_p99_s``: with ``huajie serve`` running on the real clock, how late timers
  created through the API (a few seconds ahead) fire after their due time;
* ``pages``: every page a person sees ({name: {p50_ms, p95_ms, requests, status}}) on the
  demo data with the office's work in it, each requested by its user through ``huajie serve
  --workers 3``, 30 times after an unmeasured one (``scripts/pagewalk``); ``pages_over_300ms``
  and ``pages_failed`` (not answering 200) list the pages that miss;
* ``service_vs_raw_serialized`` = service_per_s / raw_engine_serialized_per_s and
  ``http_vs_service`` = http_tasks_per_s / service_tasks_per_s (8 clients vs one thread);
* ``targets``: each target of the issue with its value and pass/fail.

Every run works in a fresh temporary folder (diagrams, forms, SQLite files, server logs) that
is removed at the end unless ``--keep`` is given. Nothing here edits the product. Each part is
a module of ``quickbench``; what the benchmarks share (the server, percentiles) is ``benchkit``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():  # run from outside the venv
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])

from quickbench.common import FIXED_NOW, MODES, RUN_CLOCK, Sizes, log  # noqa: E402

# the product's settings for every in-process figure, set before any of it is imported
os.environ["HUAJIE_ENV"] = "test"
os.environ["HUAJIE_NOW"] = FIXED_NOW
os.environ.pop("DATABASE_URL", None)

from quickbench.api_latency import bench_http  # noqa: E402
from quickbench.big import bench_100k  # noqa: E402
from quickbench.pages import bench_pages  # noqa: E402
from quickbench.report import final_report  # noqa: E402
from quickbench.step_cost import bench_step_cost  # noqa: E402
from quickbench.throughput import bench_throughput  # noqa: E402
from quickbench.timer_lag import TimerLag  # noqa: E402
from quickbench.workspace import Workspace  # noqa: E402

RUN_CLOCK.restart()  # the run's time counts from here, after the imports

FIGURES: dict[str, Callable[[Workspace, Sizes], dict[str, Any]]] = {
    "throughput": bench_throughput,
    "http": bench_http,
    "steps": bench_step_cost,
    "big": bench_100k,
    "pages": bench_pages,
}
LAG = "lag"  # the timer lag runs alongside the others (see TimerLag)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="larger counts (several minutes)")
    parser.add_argument(
        "--only", default="", help=f"comma-separated subset of {','.join([*FIGURES, LAG])}"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--scale", action="store_true", help="twenty years of a district (docs/performance.md)"
    )
    parser.add_argument(
        "--scale-factor", type=float, default=1.0, help="with --scale: a share of the volume"
    )
    parser.add_argument(
        "--postgres", default=os.environ.get("HUAJIE_TEST_POSTGRES_URL", ""),
        help="with --scale: also a PostgreSQL database (default $HUAJIE_TEST_POSTGRES_URL)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.scale:
        from scale.run import run

        report = run(args.scale_factor, args.postgres or None, args.keep, log)
        print(json.dumps(report, ensure_ascii=False), flush=True)
        return
    mode = "full" if args.full else "quick"
    sizes = MODES[mode]
    chosen = [f for f in args.only.split(",") if f] or [*FIGURES, LAG]
    unknown = set(chosen) - {*FIGURES, LAG}
    if unknown:
        parser.error(f"unknown figures: {', '.join(sorted(unknown))}")
    root = Path(tempfile.mkdtemp(prefix="huajie-bench-"))
    log(f"{mode} mode in {root}")
    result: dict[str, Any] = {}
    try:
        with contextlib.ExitStack() as stack:
            ws = Workspace(root)
            lag = TimerLag(ws, sizes, stack) if LAG in chosen else None
            for name in chosen:
                if name != LAG:
                    log(f"== {name}")
                    result.update(FIGURES[name](ws, sizes))
            if lag is not None:
                result.update(lag.collect())
    finally:
        if args.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(final_report(mode, chosen, result), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
