"""Stored JSON (workflow state, JSON columns) written by orjson reads and writes as before."""

from __future__ import annotations

import json
import math

from app import jsontext
from tests.test_diagrams import MEDIATION_START, _engine, _parse


def test_text_matches_the_standard_library_for_json_values() -> None:
    value = {"案号": "（2026）苏0813行初1号", "n": [1, 2.5, None, True], "nested": {"b": 1, "a": 2}}
    assert jsontext.dumps(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert jsontext.loads(jsontext.dumps(value)) == value


def test_values_orjson_refuses_are_kept_as_the_standard_library_keeps_them() -> None:
    big = {"amount": 2**70, 3: "non-string key"}
    assert jsontext.loads(jsontext.dumps(big)) == {"amount": 2**70, "3": "non-string key"}
    assert math.isnan(jsontext.loads('{"ratio": NaN}')["ratio"])  # as the standard library wrote


def test_a_workflow_state_written_by_the_standard_library_still_loads() -> None:
    engine, spec = _engine(), _parse("pre_litigation_mediation").spec_json
    workflow = engine.start(spec, dict(MEDIATION_START))
    state = engine.dump(workflow)
    old_style = json.dumps(json.loads(state), ensure_ascii=True, indent=1)  # as json wrote it
    restored = engine.load(spec, old_style)
    assert [t.bpmn_id for t in engine.ready_user_tasks(restored)] == [
        t.bpmn_id for t in engine.ready_user_tasks(workflow)
    ]
