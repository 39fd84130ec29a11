"""Every diagram in processes/ deploys and runs straight through, with save/restore per step."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import ROOT
from app.engine import Engine, parse_bpmn
from app.workdays import WorkCalendar
from tests.helpers import FORM_DATA

DIAGRAMS = sorted((ROOT / "processes").glob("*.bpmn"))
START_DATA = {
    "court_case_no": "（2026）苏0813行诉前1号",
    "plaintiff": "张某某",
    "agency_name": "洪泽区自然资源和规划局",
    "subject": "征收补偿",
    "claims": "",
    "court": "洪泽区人民法院",
    "received_on": "2026-09-30",
    "lane_owners": {"案涉行政机关": "GTZY"},
}
BRANCHES = {"pre_litigation_mediation": [{"outcome": "agreement"}, {"outcome": "termination"}]}


def _engine(now: str = "2026-09-30T10:00:00+08:00") -> Engine:
    from datetime import datetime

    calendar = WorkCalendar()
    return Engine(calendar=lambda: calendar, now=lambda: datetime.fromisoformat(now))


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.stem)
def test_file_name_is_the_process_id(path: Path):
    assert parse_bpmn(path.read_bytes(), path.name).process_id == path.stem


@pytest.mark.parametrize("restore", [False, True], ids=["in-memory", "save-restore"])
@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.stem)
def test_runs_straight_through_every_branch(path: Path, restore: bool):
    parsed = parse_bpmn(path.read_bytes(), path.name)
    for choice in BRANCHES.get(parsed.process_id, [{}]):
        engine = _engine()
        workflow = engine.start(parsed.spec_json, dict(START_DATA))
        seen = []
        for _ in range(50):
            ready = engine.ready_user_tasks(workflow)
            if not ready:
                break
            task = ready[0]
            seen.append(task.bpmn_id)
            engine.complete(workflow, task.spiff_id, {**FORM_DATA.get(task.bpmn_id, {}), **choice})
            if restore:
                workflow = engine.load(parsed.spec_json, engine.dump(workflow))
        assert engine.is_completed(workflow), seen
