"""ISO 8601 timers (timeDuration PT72H, timeDate, timeCycle R3/PT1H) on boundary, intermediate
and start events: deployed through the API, fired by the timer pass under a moved clock."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest

from app import clock as app_clock
from app.services.actor import SYSTEM
from app.services.execution import timer_pass
from app.services.identity import org

pytestmark = pytest.mark.both_databases

SAMPLE = Path(__file__).resolve().parent / "samples" / "iso_timers"
FORM = "iso_timers/note.schema.json"
URL = "/api/v1/process-definitions"


@pytest.fixture
def tokens(db):
    with db.write() as session:
        return {u: org.create_token(session, SYSTEM, u) for u in ("owner", "gtzy")}


def _h(token):
    return {"Authorization": f"Bearer {token}"}


def _upload(client, token, bpmn: str):
    parts = [
        (BytesIO(bpmn.encode()), "iso_timers.bpmn"),
        (BytesIO((SAMPLE / FORM).read_bytes()), FORM),
    ]
    return client.post(
        URL, data={"file": parts}, headers=_h(token), content_type="multipart/form-data"
    )


def _diagram() -> str:
    return (SAMPLE / "iso_timers.bpmn").read_text(encoding="utf-8")


def _fire_all(db) -> None:
    """Timer passes until nothing more is due (a cycle fires once a pass)."""
    for _ in range(10):
        if not timer_pass.due_instance_ids(db, app_clock.now()):
            return
        timer_pass.run_pass(db)


def _open(client, tokens) -> list[str]:
    return sorted(
        t["bpmn_id"] for t in client.get("/api/v1/tasks", headers=_h(tokens["gtzy"])).json
    )


def test_duration_cycle_and_date_timers_fire_on_the_product_clock(client, tokens, db, clock):
    assert _upload(client, tokens["owner"], _diagram()).status_code == 201
    agency = _h(tokens["gtzy"])
    started = client.post("/api/v1/processes/iso_timers/instances", json={}, headers=agency)
    assert started.status_code == 201, started.json
    assert _open(client, tokens) == ["handle"]
    clock.set("2026-09-30T11:30:00+08:00")  # 1.5 hours on: the hourly cycle fired once
    _fire_all(db)
    assert _open(client, tokens) == ["handle", "hourly_check"]
    clock.set("2026-09-30T15:30:00+08:00")  # R3: three times, then no more
    _fire_all(db)
    assert _open(client, tokens) == ["handle"] + ["hourly_check"] * 3
    clock.set("2026-10-03T09:30:00+08:00")  # PT72H is 10:00 on 10-03 (calendar hours)
    _fire_all(db)
    assert "overdue_notice" not in _open(client, tokens)
    clock.set("2026-10-03T10:30:00+08:00")
    _fire_all(db)
    assert _open(client, tokens).count("overdue_notice") == 1
    tasks = client.get("/api/v1/tasks", headers=agency).json
    handle = next(t for t in tasks if t["bpmn_id"] == "handle")
    done = client.post(f"/api/v1/tasks/{handle['id']}/complete", json={"data": {}}, headers=agency)
    assert done.status_code == 200, done.json
    clock.set("2026-10-10T08:30:00+08:00")  # the bare date is Beijing time: not yet
    _fire_all(db)
    assert "after_wait" not in _open(client, tokens)
    clock.set("2026-10-10T09:30:00+08:00")
    _fire_all(db)
    assert "after_wait" in _open(client, tokens)


def test_a_timer_start_event_waits_then_starts_the_work(client, tokens, db, clock):
    diagram = _diagram().replace(
        "<bpmn:outgoing>f1</bpmn:outgoing>",
        "<bpmn:outgoing>f1</bpmn:outgoing>"
        '<bpmn:timerEventDefinition id="TimerEventDefinition_start">'
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT2H</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition>",
    )
    response = _upload(client, tokens["owner"], diagram)
    assert response.status_code == 201, response.json
    agency = _h(tokens["gtzy"])
    started = client.post("/api/v1/processes/iso_timers/instances", json={}, headers=agency)
    assert started.status_code == 201, started.json
    assert _open(client, tokens) == []
    clock.set("2026-09-30T12:30:00+08:00")
    _fire_all(db)
    assert _open(client, tokens) == ["handle"]


REFUSED = {
    "working_days in a timeDuration": (
        "<bpmn:timeDuration xsi:type=\"bpmn:tFormalExpression\">PT72H</bpmn:timeDuration>",
        "<bpmn:timeDuration>working_days(received(), 3)</bpmn:timeDuration>",
        "after_72_hours",
        "请把定时器类型改为“日期（timeDate）”，表达式 working_days(received(), 3) 不变",
    ),
    "cron in a timeCycle": (
        "R3/PT1H", "0 0 9 * * ?", "every_hour", "不支持 cron 表达式（0 0 9 * * ?）",
    ),
    "a duration that is not ISO": (
        "PT72H", "PT72X", "after_72_hours", "不是 ISO 8601 格式：PT72X",
    ),
    "a date that is not ISO": (
        "2026-10-10T09:00:00", '"2026-13-10"', "wait_until", "不是 ISO 8601 格式：2026-13-10",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_timers_that_cannot_run_are_refused_at_deploy_naming_the_fix(client, tokens, case):
    old, new, element, message = REFUSED[case]
    response = _upload(client, tokens["owner"], _diagram().replace(old, new))
    assert response.status_code == 400, response.json
    assert {"element_id": element, "message": response.json["errors"][0]["message"]} in (
        response.json["errors"]
    )
    assert any(message in e["message"] for e in response.json["errors"]), response.json


CALENDAR_IN_A_DURATION = {
    "timeDuration": ("PT72H", "after_72_hours", ""),
    # with a schema error elsewhere: the parser never runs, the timer is still named
    "timeCycle beside a schema error": ("R3/PT1H", "every_hour", 'id="f3" bogus="1"'),
}


@pytest.mark.parametrize("case", CALENDAR_IN_A_DURATION, ids=list(CALENDAR_IN_A_DURATION))
def test_a_calendar_function_in_a_duration_or_cycle_is_one_problem_naming_the_fix(
    client, tokens, case
):
    timer, element, schema_error = CALENDAR_IN_A_DURATION[case]
    diagram = _diagram().replace(timer, "working_days(received(), 3)")
    if schema_error:
        diagram = diagram.replace('id="f3"', schema_error)
    response = _upload(client, tokens["owner"], diagram)
    assert response.status_code == 400, response.json
    [problem] = [p for p in response.json["problems"] if p["element_id"] == element]
    assert "请把定时器类型改为“日期（timeDate）”" in problem["message"], problem
    assert "表达式 working_days(received(), 3) 不变" in problem["message"], problem
    if schema_error:
        assert any("bogus" in p["message"] for p in response.json["problems"])
