"""Timer event definitions that read the product clock instead of the system clock.

SpiffWorkflow's own timers compare with ``datetime.now``; ours ask the script engine's clock, so
a test can move time and the diagram's deadlines follow. The evaluated deadline is kept in the
task's internal data together with whether it was computed without official holiday data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from app.engine.sandbox import track_deadlines


def evaluate_deadline(my_task: Any, expression: str) -> tuple[str, bool, str]:
    """(ISO due time, provisional, explanation) for a timeDate expression on this task."""
    engine = my_task.workflow.script_engine
    with track_deadlines() as found:
        value = engine.evaluate(my_task, expression)
    if isinstance(value, datetime):
        value = value.isoformat()
    provisional = any(d.provisional for d in found)
    explanation = "；".join(d.explain() for d in found)
    return str(value), provisional, explanation


class ClockTimeDateEventDefinition(TimeDateEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        value = my_task._get_internal_data("event_value")
        if value is None:
            value, provisional, explanation = evaluate_deadline(my_task, self.expression)
            my_task._set_internal_data(
                event_value=value, provisional=provisional, explanation=explanation
            )
        due = TimerEventDefinition.parse_time_or_duration(value)
        if due < my_task.workflow.script_engine.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockDurationTimerEventDefinition(DurationTimerEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        value = my_task._get_internal_data("event_value")
        now = my_task.workflow.script_engine.now()
        if value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            parsed = TimerEventDefinition.parse_iso_duration(expression)
            value = (now + TimerEventDefinition.get_timedelta_from_start(parsed, now)).isoformat()
            my_task._set_internal_data(event_value=value)
        if TimerEventDefinition.get_datetime(value) < now:
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


REPLACEMENTS: dict[type, type] = {
    TimeDateEventDefinition: ClockTimeDateEventDefinition,
    DurationTimerEventDefinition: ClockDurationTimerEventDefinition,
}
