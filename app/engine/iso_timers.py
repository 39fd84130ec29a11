"""ISO 8601 timers as other modelers write them: ``timeDuration`` PT72H, ``timeDate``
2026-10-01T09:00:00+08:00, ``timeCycle`` R3/PT1H.

Our timer expressions are Python (``working_days(received(), 5)``, ``"PT72H"``); Camunda Modeler
and bpmn.io write the ISO text bare. A bare ISO literal is read as the Python string it means,
a date without an offset as Beijing time. A cycle counts on the product clock like every other
timer (SpiffWorkflow's own asks the system clock).
"""

from __future__ import annotations

import ast
import json
import re
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
KINDS = ("timeDate", "timeDuration", "timeCycle")
BEIJING = "+08:00"

_NUMBER = r"\d+(?:[.,]\d+)?"
DURATION = re.compile(
    rf"P(?!$)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?",
    re.IGNORECASE,
)
CYCLE = re.compile(r"R(\d*)/(.+)", re.IGNORECASE)
# cron as Camunda and Quartz write it: 5 to 7 fields of digits, * ? / , - L W # or names
CRON = re.compile(r"(\S+\s+){4,6}\S+")
CRON_FIELD = re.compile(r"[\d*?/,\-LW#A-Za-z]+")


def is_duration(text: str) -> bool:
    return DURATION.fullmatch(text.strip()) is not None


def is_date(text: str) -> bool:
    try:
        datetime.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


def is_cycle(text: str) -> bool:
    match = CYCLE.fullmatch(text.strip())
    if match is None:
        return False
    parts = match.group(2).split("/")
    if len(parts) == 1:
        return is_duration(parts[0])
    if len(parts) == 2:
        a, b = parts
        return (is_date(a) and is_duration(b)) or (is_duration(a) and is_date(b))
    return False


def is_cron(text: str) -> bool:
    text = text.strip()
    return CRON.fullmatch(text) is not None and all(
        CRON_FIELD.fullmatch(part) for part in text.split()
    )


def literal(expression: str) -> str | None:
    """The text of an expression that is one string constant (``"PT72H"``), else None."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return None
    node = tree.body
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def quote_iso_literals(root: Any) -> None:
    """Bare ISO text in a timer (``PT72H``) becomes the Python string it means (changes
    ``root``); a date-time without an offset is Beijing time."""
    for kind in KINDS:
        for node in root.iter(f"{{{BPMN_NS}}}{kind}"):
            text = (node.text or "").strip()
            if not text or literal(text) is not None:
                continue
            if is_duration(text) or is_cycle(text):
                node.text = json.dumps(_with_offsets(text))
            elif kind == "timeDate" and is_date(text):
                node.text = json.dumps(_with_offset(text))


def _with_offset(text: str) -> str:
    if "T" not in text.upper():
        return text
    return text if datetime.fromisoformat(text).tzinfo else text + BEIJING


def _with_offsets(text: str) -> str:
    """A cycle's start or end date without an offset, as Beijing time."""
    parts = text.split("/")
    return "/".join(_with_offset(p) if is_date(p) else p for p in parts)


class ClockCycleTimerEventDefinition(CycleTimerEventDefinition):
    """``R3/PT1H``: fires three times, an hour apart, on the product clock."""

    def cycle_complete(self, my_task: Any) -> bool:
        now = my_task.workflow.script_engine.now()
        value = my_task._get_internal_data("event_value")
        if value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = _recurring(str(expression), now)
            value = {"cycles": cycles, "next": start.isoformat(), "duration": duration}
        ready = False
        if value["cycles"] != 0:
            due = datetime.fromisoformat(value["next"])
            if due < now:
                value["next"] = (due + timedelta(seconds=value["duration"])).isoformat()
                value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
            return False
        my_task._set_internal_data(event_value=value)
        return ready


def _recurring(expression: str, now: datetime) -> tuple[int, datetime, float]:
    """(cycles, first due, seconds between): SpiffWorkflow's reading, from ``now``."""
    match = CYCLE.fullmatch(expression.strip())
    if match is None:
        raise ValueError(f"不是 ISO 8601 重复周期：{expression}")
    cycles = int(match.group(1)) if match.group(1) else -1
    parts = match.group(2).split("/")
    if len(parts) == 1:
        period = TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(parts[0]), now
        )
        return cycles, now + period, period.total_seconds()
    first, second = parts
    if is_date(first):
        start = TimerEventDefinition.get_datetime(first)
        period = TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(second), start
        )
        return cycles, start, period.total_seconds()
    end = TimerEventDefinition.get_datetime(second)
    period = TimerEventDefinition.get_timedelta_from_end(
        TimerEventDefinition.parse_iso_duration(first), end
    )
    return cycles, end - period, period.total_seconds()


def next_due(value: Any) -> datetime | None:
    """When a waiting cycle is next due (its stored value is a dict, not a date); after its
    last firing, that firing's time, so that the next pass completes it."""
    if not (isinstance(value, dict) and isinstance(value.get("next"), str)):
        return None
    due = TimerEventDefinition.get_datetime(value["next"])
    if value.get("cycles") == 0:
        return due - timedelta(seconds=float(value.get("duration", 0)))
    return due


def kind_of(definition: Any) -> str:
    """The BPMN element a timer definition came from."""
    if isinstance(definition, CycleTimerEventDefinition):
        return "timeCycle"
    if isinstance(definition, DurationTimerEventDefinition):
        return "timeDuration"
    return "timeDate"
