"""Scripts at deploy: a name the process data can never hold is a warning naming the script and
the name; names that forms, scripts, decision tables or loops set are not."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest

from app.services.actor import SYSTEM
from app.services.identity import org

pytestmark = pytest.mark.both_databases

SAMPLES = Path(__file__).resolve().parent / "samples"
CONFIRM = SAMPLES / "confirm_steps" / "confirm_steps.bpmn"
DMN = SAMPLES / "spiffarena_dmn"


@pytest.fixture
def owner(db):
    with db.write() as session:
        return {"Authorization": f"Bearer {org.create_token(session, SYSTEM, 'owner')}"}


def _upload(client, owner, files: dict[str, bytes]):
    parts = [(BytesIO(content), name) for name, content in files.items()]
    return client.post(
        "/api/v1/process-definitions", data={"file": parts}, headers=owner,
        content_type="multipart/form-data",
    )  # fmt: skip


def test_a_misspelt_name_in_a_script_is_a_warning_naming_it(client, owner):
    diagram = CONFIRM.read_text(encoding="utf-8").replace(
        "materials += 1", "materials = materails + 1"
    )
    response = _upload(client, owner, {"confirm_steps.bpmn": diagram.encode()})
    assert response.status_code == 201, response.json
    [warning] = response.json["warnings"]
    assert warning["element_id"] == "count_materials"
    assert "materails" in warning["message"] and "materials" not in warning["message"]


def test_names_set_by_forms_and_decision_tables_are_not_warned_about(client, owner):
    called = "<spiffworkflow:calledDecisionId>wonderful</spiffworkflow:calledDecisionId>"
    script = "verdict = person + ': ' + wonderfulness"  # a form field and the table's output
    diagram = (
        (DMN / "sample_adapted.bpmn")
        .read_text(encoding="utf-8")
        .replace(called, f"{called}<spiffworkflow:postScript>{script}</spiffworkflow:postScript>")
    )
    files = {
        "sample.bpmn": diagram.encode(),
        "wonderful.dmn": (DMN / "wonderful.dmn").read_bytes(),
        "wonderful/person.schema.json": (DMN / "wonderful/person.schema.json").read_bytes(),
    }
    response = _upload(client, owner, files)
    assert response.status_code == 201, response.json
    assert response.json["warnings"] == []
