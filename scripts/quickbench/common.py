"""What every part of the quick benchmark shares: the product clock, the benchmark's process
ids and form, the sizes of a quick and a full run, the progress log."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

# The product clock for every in-process figure: a Monday with no holiday in the weeks after.
FIXED_NOW = "2026-03-02T10:00:00+08:00"

SEQUENCE, LOOP, TIMER = "bench_sequence", "bench_loop", "bench_timer"
SEQUENCE_STEPS = 10
LANE = "区调处中心"  # the center's lane: every benchmark task goes to the center unit
USERNAME = "center"
FORM_FILE = "bench/note.schema.json"
# ``due`` is the timer diagram's start data, named in the form (which makes it a field the process
# has); without it the deadline counts from the task's receipt (``received()``).
FORM = {
    "type": "object",
    "properties": {
        "note": {"type": "string"},
        "due": {"type": "string"},
    },
    "additionalProperties": False,
}
FORM_DATA = {"note": "已办"}


@dataclass(frozen=True)
class Sizes:
    rounds: int  # interleaved rounds of the three throughput figures
    raw_per_round: int
    raw_serialized_per_round: int
    service_per_round: int
    http_clients: int
    http_tasks_per_client: int
    step_instances: int
    step_window: int  # steps 11.. and 201.. averaged (median) for the step cost
    inbox_calls: int  # at most; a slow inbox stops after 10 calls once inbox_budget_s is spent
    inbox_budget_s: float
    timer_rounds: int
    lag_timers: int
    lag_spread_s: float


MODES = {
    "quick": Sizes(3, 150, 40, 12, 8, 75, 1, 5, 50, 4.0, 3, 20, 5.0),
    "full": Sizes(5, 400, 100, 40, 8, 200, 3, 9, 200, 20.0, 5, 60, 15.0),
}


class RunClock:
    """Seconds since the run began, after the imports: the progress log's and ``elapsed_s``."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def restart(self) -> None:
        self.started = time.perf_counter()

    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started


RUN_CLOCK = RunClock()


def log(message: str) -> None:
    print(f"[bench {RUN_CLOCK.elapsed_s():6.1f}s] {message}", file=sys.stderr, flush=True)


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)
