"""Timer event definitions that read the product clock instead of the system clock.

SpiffWorkflow's own timers compare with ``datetime.now``; ours ask the script engine's clock, so
a test can move time and the diagram's deadlines follow. When a timer starts waiting, its
expression is evaluated once and the result kept in the task's internal data as a **clock**
(``app.clocks``): the rule, N and the event it counts from. Later changes (a recorded service,
中止, 恢复, 延长, a corrected holiday calendar) replay that clock; the expression is evaluated
again only when a migration changes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from app.clocks import RULE_FIXED, Clock, legacy_clock, system_event
from app.engine.iso_timers import ClockCycleTimerEventDefinition, CycleTimerEventDefinition
from app.engine.sandbox import SandboxError, track_deadlines

# process data: "_submitted:<task id>" -> its latest submission (an event dict). One key per
# task, not one dict, so parallel branches that join keep each other's records (SpiffWorkflow
# merges branch data key by key). Scripts cannot read or write names starting with "_".
SUBMITTED_PREFIX = "_submitted:"


def submitted_key(task_id: str) -> str:
    return f"{SUBMITTED_PREFIX}{task_id}"


RECEIVED_KEY = "received"  # a user task's internal data: when it reached its unit
CLOCK_KEY = "clock"  # a timer's internal data: its clock (``Clock.to_dict``)


def host_task(timer_task: Any) -> Any:
    """The user task a boundary timer is attached to, or None."""
    parent = timer_task.parent
    if parent is None or not parent.task_spec.name.endswith(".BoundaryEventSplit"):
        return None
    return next((c for c in parent.children if c.task_spec.manual), None)


class _RecordedStarts:
    """What ``received()`` and ``submitted()`` read while one timer is evaluated."""

    def __init__(self, timer_task: Any) -> None:
        self._task = timer_task

    def received(self) -> dict[str, Any]:
        host = host_task(self._task)
        if host is None:
            raise SandboxError("received() 只能用于附在用户任务上的期限")
        event = host._get_internal_data(RECEIVED_KEY)
        if event is None:  # the task reaches its unit now: record it once
            now = self._task.workflow.script_engine.now()
            event = system_event(now, "任务送达本单位", "received", receipt=True).to_dict()
            host._set_internal_data(**{RECEIVED_KEY: event})
        return dict(event)

    def submitted(self, task_id: str) -> dict[str, Any]:
        record = self._task.data.get(submitted_key(task_id))
        if not record:
            raise SandboxError(f"期限的起算事件尚未发生：任务 {task_id} 尚未提交")
        return dict(record)


def evaluate_clock(my_task: Any, expression: str) -> Clock:
    """The clock a timeDate expression gives on this task, evaluated now."""
    engine = my_task.workflow.script_engine
    engine.calendar()  # read (from the database) before the sandbox's time limit starts
    with track_deadlines(_RecordedStarts(my_task)) as found:
        value = engine.evaluate(my_task, expression)
    if isinstance(value, datetime):
        value = value.isoformat()
    value = str(value)
    for deadline, start in found:  # the deadline the expression chose (min/max of several)
        if deadline.due_at.isoformat() == value:
            return Clock(deadline.rule, deadline.n, start)
    due = TimerEventDefinition.parse_time_or_duration(value)
    explanation = "；".join(d.explain() for d, _ in found)
    provisional = any(d.provisional for d, _ in found)
    return Clock(RULE_FIXED, 0, None, [], due, explanation, provisional)


def apply_clock(my_task: Any, clock: Clock) -> None:
    """Store the clock on the timer task with what it computes now."""
    computed = clock.replay(my_task.workflow.script_engine.calendar())
    due = computed.due_at or SUSPENDED_UNTIL
    my_task._set_internal_data(
        event_value=due.isoformat(),
        provisional=computed.provisional,
        explanation=computed.explanation,
        **{CLOCK_KEY: clock.to_dict()},
    )
    if computed.suspended is None:
        my_task.internal_data.pop("suspended", None)
    else:
        my_task._set_internal_data(suspended=computed.suspended)


class ClockTimeDateEventDefinition(TimeDateEventDefinition):
    def has_fired(self, my_task: Any) -> bool:
        value = my_task._get_internal_data("event_value")
        if value is None:
            apply_clock(my_task, evaluate_clock(my_task, self.expression))
            value = my_task._get_internal_data("event_value")
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
    CycleTimerEventDefinition: ClockCycleTimerEventDefinition,
}

SUSPENDED_UNTIL = datetime.fromisoformat("9999-12-31T00:00:00+00:00")  # a parked timer never fires


def clock_of(task: Any) -> Clock:
    """A waiting timer's clock; one made from what it stored if it waited before clocks."""
    stored = task._get_internal_data(CLOCK_KEY)
    if stored is not None:
        return Clock.from_dict(stored)
    value = task._get_internal_data("event_value")
    due = TimerEventDefinition.get_datetime(value) if isinstance(value, str) else None
    return legacy_clock(
        due,
        str(task._get_internal_data("explanation", "")),
        bool(task._get_internal_data("provisional", False)),
        task._get_internal_data("suspended"),
    )


def adjusted_before_clocks(task: Any) -> bool:
    """A timer suspended, resumed or extended before clocks were recorded: its due date holds
    what was done to it, which evaluating its expression again would lose."""
    explanation = str(task._get_internal_data("explanation", ""))
    return (
        task._get_internal_data("suspended") is not None
        or "延长" in explanation
        or ("恢复" in explanation)
    )
