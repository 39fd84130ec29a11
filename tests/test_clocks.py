"""Deadline clocks: a start, a rule and what was done since, replayed over the calendar."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from app.clocks import (
    ENTERED,
    RULE_FIXED,
    SYSTEM,
    Clock,
    StartEvent,
    legacy_clock,
    system_event,
)
from app.engine import Engine, parse_bpmn
from app.engine.timers import CLOCK_KEY
from app.workdays import SHANGHAI, WorkCalendar
from tests.test_diagrams import MEDIATION_START, ROOT

CAL = WorkCalendar()
AT = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)


def _local_due(computed) -> str:
    return computed.due_at.astimezone(SHANGHAI).date().isoformat()


def test_a_clock_replays_its_start_and_changes_in_order():
    clock = Clock("working_days", 3, system_event(AT, "任务送达本单位", "received", receipt=True))
    assert _local_due(clock.replay(CAL)) == "2026-10-10"
    extended = clock.with_change({"kind": "extend", "days": 2, "reason": "材料较多"})
    assert _local_due(extended.replay(CAL)) == "2026-10-13"
    suspended = extended.with_change({"kind": "suspend", "on": "2026-10-09", "reason": "暂缓"})
    parked = suspended.replay(CAL)
    assert parked.due_at is None and parked.suspended["remaining"] == 3  # 10-10, 10-12, 10-13
    resumed = suspended.with_change({"kind": "resume", "on": "2026-10-19", "reason": "恢复"})
    assert _local_due(resumed.replay(CAL)) == "2026-10-22"
    assert clock.start is not None and clock.start.receipt


def test_a_recorded_service_replaces_the_start_and_says_who_entered_it():
    clock = Clock("working_days", 3, system_event(AT, "任务送达本单位", "received", receipt=True))
    served = StartEvent(
        date(2026, 10, 8), "送达", ENTERED, by="区调处中心 王敏", evidence="送达回证"
    )
    computed = clock.with_change({"kind": "serve", "event": served.to_dict()}).replay(CAL)
    assert _local_due(computed) == "2026-10-12"
    assert computed.explanation.startswith(
        "起算：2026-10-08 送达（送达回证，区调处中心 王敏 录入）"
    )


def test_events_survive_their_json_form():
    event = system_event(AT, "“答复”提交", "submitted")
    again = StartEvent.from_value(event.to_dict())
    assert again == event and again.source == SYSTEM
    assert again.describe() == "起算：2026-09-30 “答复”提交（系统记录 10:00）"
    assert StartEvent.from_value("2026-09-30").describe() == "起算：2026-09-30（流程数据）"


def test_a_clock_from_before_clocks_keeps_its_due_date_and_its_suspension():
    kept = legacy_clock(datetime(2026, 10, 10, 23, 59, tzinfo=SHANGHAI), "旧的说明", False, None)
    assert kept.rule == RULE_FIXED and _local_due(kept.replay(CAL)) == "2026-10-10"
    extended = kept.with_change({"kind": "extend", "days": 1, "reason": "补正"})
    assert _local_due(extended.replay(CAL)) == "2026-10-12"
    parked = legacy_clock(
        None, "", False, {"since": "2026-10-09", "reason": "暂缓", "remaining": 2}
    )
    resumed = parked.with_change({"kind": "resume", "on": "2026-10-19", "reason": "恢复"})
    assert _local_due(resumed.replay(CAL)) == "2026-10-21"


def _waiting_reply() -> tuple[Engine, object, str]:
    path = ROOT / "processes" / "pre_litigation_mediation.bpmn"
    spec = parse_bpmn(path.read_bytes(), path.name).spec_json
    engine = Engine(calendar=lambda: CAL, now=lambda: AT)
    workflow = engine.start(spec, dict(MEDIATION_START))
    (register,) = engine.ready_user_tasks(workflow)
    engine.complete(workflow, register.spiff_id, {"materials_summary": "材料", "notice_no": "1号"})
    (timer,) = [t for t in engine.timers(workflow) if t.state == "waiting"]
    return engine, workflow, timer.spiff_id


def test_a_timer_that_waited_before_clocks_is_adjusted_from_its_stored_due_date():
    engine, workflow, spiff_id = _waiting_reply()
    task = workflow.get_task_from_id(UUID(spiff_id))
    task.internal_data.pop(CLOCK_KEY)  # as stored by an older version of the product
    engine.change_timer(workflow, spiff_id, {"kind": "extend", "days": 1, "reason": "补正"})
    (timer,) = [t for t in engine.timers(workflow) if t.state == "waiting"]
    assert timer.due_at.astimezone(SHANGHAI).date().isoformat() == "2026-10-12"
    engine.recompute_timer(workflow, spiff_id)  # a new calendar keeps the extension
    (again,) = [t for t in engine.timers(workflow) if t.state == "waiting"]
    assert again.due_at == timer.due_at
