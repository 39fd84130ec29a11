"""``--only lag``: how late timers fire under ``huajie serve`` on the real clock."""

from __future__ import annotations

import contextlib
import http.client
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from benchkit.stats import percentile
from sqlalchemy import select

from app.models import Timer
from quickbench.common import TIMER, Sizes, log
from quickbench.server import api, served
from quickbench.workspace import Workspace, create_token

LAG_LEAD_S = 3.0  # timers are due this long after they are created, and later
LAG_WAIT_AFTER_LAST_S = 45.0  # bound on waiting: longer than the scheduler's safety interval


class TimerLag:
    """How late timers fire under ``huajie serve`` on the real clock.

    Creating it starts the server and, through the API (the service layer in the server
    process), instances whose deadlines fall due a few seconds later, spread over
    ``lag_spread_s``. ``collect`` waits (bounded) until they have fired; the lag is the fired
    time the server records minus the due time. Created first and collected last, so the wait
    overlaps the other figures instead of adding to the run time.
    """

    def __init__(self, ws: Workspace, sizes: Sizes, stack: contextlib.ExitStack) -> None:
        data_dir, self.db = ws.database("lag")
        token = create_token(self.db)
        port = stack.enter_context(served(data_dir, fixed_clock=False))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        base = datetime.now(UTC) + timedelta(seconds=LAG_LEAD_S)
        step = sizes.lag_spread_s / max(1, sizes.lag_timers - 1)
        self.instance_ids = []
        for i in range(sizes.lag_timers):
            due = base + timedelta(seconds=i * step)
            body = {"data": {"due": due.isoformat()}}
            status, answer = api(conn, token, "POST", f"/api/v1/processes/{TIMER}/instances", body)
            assert status == 201, (status, answer)
            self.instance_ids.append(answer["instance_id"])
        conn.close()
        self.give_up = base + timedelta(seconds=sizes.lag_spread_s + LAG_WAIT_AFTER_LAST_S)
        log(f"timer lag: {len(self.instance_ids)} timers due from +{LAG_LEAD_S:.0f} s")

    def _rows(self) -> list[Timer]:
        with self.db.read() as session:
            return list(
                session.scalars(select(Timer).where(Timer.instance_id.in_(self.instance_ids)))
            )

    def collect(self) -> dict[str, Any]:
        log("timer lag: waiting for the timers to fire")
        while True:
            rows = self._rows()
            fired = len(rows) == len(self.instance_ids) and all(r.fired_at for r in rows)
            if fired or datetime.now(UTC) > self.give_up:
                break
            time.sleep(0.25)
        self.db.dispose()
        if not rows:
            raise RuntimeError("timer lag: the started instances have no timer rows")
        now = datetime.now(UTC)
        lags = [((r.fired_at or now) - r.due_at).total_seconds() for r in rows]
        unfired = sum(1 for r in rows if r.fired_at is None) + len(self.instance_ids) - len(rows)
        result = {
            "timer_lag_p99_s": percentile(lags, 99),
            "timer_lag_p50_s": percentile(lags, 50),
            "timer_lag_unfired": unfired,  # counted with their lag so far (a lower bound)
        }
        log("timer lag: p50 {timer_lag_p50_s:.2f} s, p99 {timer_lag_p99_s:.2f} s".format(**result))
        return result
