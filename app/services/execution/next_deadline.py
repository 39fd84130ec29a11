"""The deadline a step started, as the documents it renders state it (the 期限 a notice gives)."""

from __future__ import annotations

from typing import Any

from app import clock
from app.engine import TimerState
from app.services.execution.workflows import StepResult


def stated(result: StepResult, timers: list[TimerState]) -> dict[str, Any]:
    """The deadline this step started (of the first new task that has one), as documents state
    it: its date and its period from the timer's own clock."""
    dated = [(t.due_at, t) for t in result.new_tasks if t.due_at is not None]
    if not dated:
        return {}
    due, first = min(dated, key=lambda pair: pair[0])
    found: dict[str, Any] = {"reply_due": clock.to_local(due).date().isoformat()}
    for timer in timers:
        if timer.host_spiff_id == first.spiff_task_id and timer.purpose == "deadline":
            clock_ = timer.clock
            start = clock_.effective_start if clock_ is not None else None
            if clock_ is not None and clock_.period_words():
                found["next_period"] = {
                    "words": clock_.period_words(),
                    "start": start.kind if start else "",
                    "what": start.what if start else "",
                }
            break
    return found
