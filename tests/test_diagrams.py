"""Every diagram in processes/ parses, and every sample path runs straight through the engine,
in memory and with save/restore between steps, under a fixed clock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from app.config import ROOT
from app.engine import Engine, called_elements, parse_bpmn
from app.workdays import WorkCalendar
from tests.helpers import FORM_DATA
from tests.samples import PathData, all_paths, load

DIAGRAMS = sorted((ROOT / "processes").glob("*.bpmn"))
MEDIATION_START = {
    "court_case_no": "（2026）苏0813行诉前1号",
    "plaintiff": "张某某",
    "agency_name": "洪泽区自然资源和规划局",
    "subject": "征收补偿",
    "claims": "",
    "court": "洪泽区人民法院",
    "received_on": "2026-09-30",
    "lane_owners": {"案涉行政机关": "GTZY"},
}


def _engine() -> Engine:
    calendar = WorkCalendar()
    now = datetime.fromisoformat("2026-09-30T10:00:00+08:00")
    return Engine(calendar=lambda: calendar, now=lambda: now)


def _parse(process_id: str):
    file = ROOT / "processes" / f"{process_id}.bpmn"
    content = file.read_bytes()
    called = {
        callee: (ROOT / "processes" / f"{callee}.bpmn").read_bytes()
        for callee in called_elements(content)
    }
    return parse_bpmn(content, file.name, called)


def _run(spec_json: str, start: dict, data_for, restore: bool) -> tuple[Engine, object, list]:
    engine = _engine()
    workflow = engine.start(spec_json, start)
    seen = []
    for _ in range(100):
        ready = engine.ready_user_tasks(workflow)
        if not ready:
            break
        task = ready[0]
        seen.append(task.bpmn_id)
        engine.complete(workflow, task.spiff_id, data_for(task.bpmn_id))
        if restore:
            workflow = engine.load(spec_json, engine.dump(workflow))
    return engine, workflow, seen


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.stem)
def test_file_name_is_the_process_id(path: Path):
    assert _parse(path.stem).process_id == path.stem


def test_every_diagram_has_sample_paths():
    with_samples = {process_id for process_id, _ in all_paths()} | {"pre_litigation_mediation"}
    assert {p.stem for p in DIAGRAMS} <= with_samples


@pytest.mark.parametrize("restore", [False, True], ids=["in-memory", "save-restore"])
@pytest.mark.parametrize("outcome", ["agreement", "termination"])
def test_mediation_runs_through(outcome: str, restore: bool):
    path = ROOT / "processes" / "pre_litigation_mediation.bpmn"
    parsed = parse_bpmn(path.read_bytes(), path.name)
    engine, workflow, seen = _run(
        parsed.spec_json,
        dict(MEDIATION_START),
        lambda bpmn_id: (
            {**FORM_DATA[bpmn_id], "outcome": outcome}
            if bpmn_id == "record_outcome"
            else FORM_DATA[bpmn_id]
        ),
        restore,
    )
    assert engine.is_completed(workflow), seen


@pytest.mark.parametrize("restore", [False, True], ids=["in-memory", "save-restore"])
@pytest.mark.parametrize(("process_id", "path_name"), all_paths())
def test_sample_path_runs_through(process_id: str, path_name: str, restore: bool):
    sample = load(process_id)
    parsed = _parse(process_id)
    data = PathData(sample["paths"][path_name])
    start = {**sample["start"], **data.start(), "lane_owners": sample["lane_owners"]}
    engine, workflow, seen = _run(parsed.spec_json, start, data.next, restore)
    assert engine.is_completed(workflow), seen
    assert data.counts() == data.expected_counts()
