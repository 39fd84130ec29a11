"""Documents follow the diagram (issue 17 point 5): every period a rendered document states is a
deadline of its own diagram, as the engine counts it; a diagram that changes a period changes
the document. Every document kind of every mechanism is rendered here, through the services."""

from __future__ import annotations

import ast
import io
import re

import pytest
from docx import Document as Docx
from sqlalchemy import select

from app.documents import DOCUMENT_KINDS
from app.engine import outline
from app.models import Document, ProcessDefinition, ProcessInstance, TaskRecord
from tests.helpers import FORM_DATA, complete, register, step
from tests.samples import PathData, all_paths, load
from tests.test_mechanisms_service import _open_tasks, _start_with_sample, _worker
from tests.test_mechanisms_service import complete as complete_with_files
from tests.versioning import REPLY_DEADLINE, deploy_variant

pytestmark = pytest.mark.both_databases

PERIOD = re.compile(r"(\d+)(个工作日|日)内")
UNITS = {"working_days": "个工作日", "calendar_days": "日"}
# kinds whose text must state the period of the deadline they start
STATES_A_PERIOD = {"assignment_notice", "supervision_suggestion", "supervision_decision"}


def _text(content: bytes) -> str:
    return "\n".join(p.text for p in Docx(io.BytesIO(content)).paragraphs)


def _diagram_periods(definition: ProcessDefinition, answers: dict) -> set[tuple[int, str]]:
    """(N, unit) of every calendar deadline of the diagram; an N that is a field is read from
    the answers of the task that rendered the document (the bureau sets answer_days)."""
    found = set()
    for element in outline(definition.bpmn_xml.encode()).values():
        if not element.timer:
            continue
        call = ast.parse(element.timer, mode="eval").body
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", "") in UNITS):
            continue
        n = call.args[1]
        value = n.value if isinstance(n, ast.Constant) else answers.get(getattr(n, "id", ""))
        if isinstance(value, int):
            found.add((value, UNITS[call.func.id]))  # type: ignore[attr-defined]
    return found


def _check_documents(db, instance_id: int) -> set[str]:
    with db.read() as session:
        instance = session.get(ProcessInstance, instance_id)
        definition = session.get(ProcessDefinition, instance.definition_id)
        docs = list(session.scalars(select(Document).where(Document.instance_id == instance_id)))
        kinds = set()
        for doc in docs:
            task = session.get(TaskRecord, doc.task_record_id)
            stated = {(int(n), unit) for n, unit in PERIOD.findall(_text(doc.content))}
            allowed = _diagram_periods(definition, task.data or {})
            assert stated <= allowed, (doc.kind, stated, allowed)
            if doc.kind in STATES_A_PERIOD:
                assert stated, f"{doc.kind} states no period"
            kinds.add(doc.kind)
    return kinds


def _run_sample_path(db, settings, process_id: str, path_name: str) -> int:
    sample = load(process_id)
    data = PathData(sample["paths"][path_name])
    instance_id = _start_with_sample(db, process_id, data, sample)
    for _ in range(30):
        tasks = _open_tasks(db, instance_id)
        if not tasks:
            break
        complete_with_files(db, settings, _worker(tasks[0], db), tasks[0].id,
                            data.next(tasks[0].bpmn_id))  # fmt: skip
    return instance_id


def _run_mediation(db, outcome: str) -> int:
    instance_id = register(db, court_case_no=f"（2026）苏0813行诉前{len(outcome)}号")
    for who, bpmn_id in [("center", "register_materials"), ("gtzy", "agency_reply"),
                         ("center", "schedule_mediation")]:  # fmt: skip
        step(db, instance_id, who, bpmn_id)
    step(db, instance_id, "center", "record_outcome", outcome=outcome)
    step(db, instance_id, "center", "sign_agreement" if outcome == "agreement"
         else "terminate_mediation")  # fmt: skip
    return instance_id


def test_every_document_of_every_mechanism_states_its_diagrams_periods(db, settings):
    rendered: set[str] = set()
    for outcome in ("agreement", "termination"):
        rendered |= _check_documents(db, _run_mediation(db, outcome))
    for process_id, path_name in all_paths():
        rendered |= _check_documents(db, _run_sample_path(db, settings, process_id, path_name))
    assert rendered == set(DOCUMENT_KINDS)


def test_a_five_working_day_version_renders_a_notice_that_says_five(db):
    five = "working_days(received(), 5)"
    deploy_variant(db, "pre_litigation_mediation", lambda xml: xml.replace(REPLY_DEADLINE, five))
    instance_id = register(db)
    complete(db, "center", _open_tasks(db, instance_id)[0].id, FORM_DATA["register_materials"])
    with db.read() as session:
        (notice,) = session.scalars(select(Document).where(Document.instance_id == instance_id))
    text = _text(notice.content)
    assert "自收到本通知书之日起5个工作日内" in text
    assert "3个工作日" not in text
    # 5 working days after 09-30: 10-08, 10-09, 10-10, 10-12, 10-13
    assert "请于2026年10月13日前" in text
