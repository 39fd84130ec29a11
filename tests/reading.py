"""Real instances for the reading tests: every sample path can be driven through the service
layer with each completion's data marked by a text of its own (``~T<task id>~``), so a test can
tell whose data a page, the API or a dossier shows without knowing any field name.

The marker goes into the first free-text field the task's form has (a plain string, else an
array of strings), read from the form itself, so renamed fields do not break the tests.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.models import Attachment, Document, ProcessInstance, TaskRecord, Unit
from app.services.actor import SYSTEM
from app.services.court import cases, messages
from app.services.design import definitions
from app.services.execution import completion, instances, processes
from app.services.records import attachments
from tests.helpers import CASE, FORM_DATA, actor
from tests.samples import PathData, load
from tests.test_web import login

# who completes a task: the first of these the service lets do it
WORKERS = [
    "gtzy", "gtzy_head", "gtzy_reviewer", "gtzy_lawyer",
    "scjg", "scjg_head", "scjg_reviewer", "scjg_lawyer",
    "bureau", "bureau_head", "center", "leader", "jw",
]  # fmt: skip
PDF = attachments.Upload("材料.pdf", b"%PDF-1.4 sample")
STARTERS = {"案涉行政机关": "gtzy", "区司法局": "bureau"}
MEDIATION = "pre_litigation_mediation"  # no sample file: tests.helpers.FORM_DATA, two outcomes
_UNSTRUCTURED = ("enum", "const", "format", "pattern", "x-options", "oneOf", "anyOf")
_case_numbers = itertools.count(1)


def marker(task_id: int) -> str:
    return f"~T{task_id}~"  # "~" is in no id, hash, token or date the pages show


def _free_text(prop: Any) -> bool:
    return (
        isinstance(prop, dict)
        and prop.get("type") == "string"
        and not any(k in prop for k in _UNSTRUCTURED)
    )


def mark(schema: dict[str, Any], data: dict[str, Any], text: str) -> dict[str, Any]:
    """``data`` with ``text`` written into the form's first free-text field."""
    marked = dict(data)
    props = schema.get("properties", {})
    for name, prop in props.items():
        if _free_text(prop):
            limit = prop.get("maxLength")
            value = str(marked.get(name) or "")
            if limit is not None:
                value = value[: max(0, limit - len(text))]
            marked[name] = value + text
            return marked
    for name, prop in props.items():
        if isinstance(prop, dict) and prop.get("type") == "array" and _free_text(prop.get("items")):
            marked[name] = [*(marked.get(name) or []), text]
            return marked
    raise AssertionError(f"表单 {schema.get('title')} 没有可写入标记的文本字段")


@dataclass
class Done:
    """A completed task as the tests know it (not as the code under test reports it)."""

    task_id: int
    instance_id: int
    process_id: str
    bpmn_id: str
    unit: str  # code of the unit that owned it
    completed_by: str
    marker: str
    documents: list[int] = field(default_factory=list)
    attachments: list[int] = field(default_factory=list)


@dataclass
class Run:
    process_id: str
    path: str
    instance_id: int
    case_id: int | None
    done: list[Done]


def path_names(process_id: str) -> list[str]:
    if process_id == MEDIATION:
        return ["agreement", "termination"]
    return list(load(process_id)["paths"])


def path_tasks(process_id: str, path: str) -> set[str]:
    if process_id == MEDIATION:
        skip = "terminate_mediation" if path == "agreement" else "sign_agreement"
        return set(FORM_DATA) - {skip}
    return {k for k in load(process_id)["paths"][path] if not k.startswith("$")}


def _path_data(process_id: str, path: str) -> tuple[dict[str, Any], PathData]:
    if process_id == MEDIATION:
        steps = {k: dict(v) for k, v in FORM_DATA.items()}
        steps["record_outcome"]["outcome"] = path
        return {}, PathData(steps)
    sample = load(process_id)
    data = PathData(sample["paths"][path])
    return sample, data


def _new_case(db: Database) -> tuple[int, str]:
    """A case registered by the court's pre-filing notice (which starts mechanism 5 too)."""
    case_no = f"（2026）苏0813行初{900 + next(_case_numbers)}号"
    with db.write() as session:
        received = messages.receive.within(session, actor(db, "court"), {
            "name": "pre_filing_notice", "case_no": case_no, "idempotency_key": case_no,
            "payload": {"plaintiff": "某某", "agency_unit": "GTZY", "subject": "行政处罚",
                        "court": "洪泽区人民法院"},
        })  # fmt: skip
        return received.message.case_id, case_no


def _start(db: Database, process_id: str, sample: dict, path: PathData) -> tuple[int, int | None]:
    if process_id == MEDIATION:
        case_no = f"（2026）苏0813行诉前{900 + next(_case_numbers)}号"
        with db.write() as session:
            registered = cases.register.within(
                session, actor(db, "center"), {**CASE, "court_case_no": case_no}
            )
            return registered.instance.id, registered.case.id
    if process_id not in processes.case_processes():
        with db.write() as session:
            definition = definitions.latest_definition(session, process_id)
            assert definition is not None
            starter = STARTERS[definition.start_lane]
            return processes.start.within(session, actor(db, starter), process_id, {}).id, None
    case_id, case_no = _new_case(db)
    with db.write() as session:
        if process_id == "pre_filing_notice":  # the notice started it
            found = session.scalar(
                select(ProcessInstance.id).where(
                    ProcessInstance.case_id == case_id, ProcessInstance.process_id == process_id
                )
            )
            assert found is not None
            return found, case_id
        definition = definitions.latest_definition(session, process_id)
        assert definition is not None
        agency = session.scalar(select(Unit).where(Unit.code == "GTZY"))
        data = {
            **sample["start"], **path.start(), "court_case_no": case_no,
            "lane_owners": {"区调处中心": "TCZX", **sample["lane_owners"]},
        }  # fmt: skip
        instance = instances.start(session, SYSTEM, definition, data, case_id, agency.id)
        return instance.id, case_id


def _split_uploads(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list]]:
    """Sample attachment refs become real uploads, as the web form sends them."""
    uploads = {}
    for key, value in list(data.items()):
        if isinstance(value, list) and value and isinstance(value[0], dict):
            uploads[key] = [PDF for _ in value]
            del data[key]
    return data, uploads


def _open_tasks(db: Database, instance_id: int) -> list[TaskRecord]:
    with db.read() as session:
        return list(
            session.scalars(
                select(TaskRecord)
                .where(TaskRecord.instance_id == instance_id, TaskRecord.status == "open")
                .order_by(TaskRecord.id)
            )
        )


def complete(
    db: Database, settings: Settings, task: TaskRecord, data: dict[str, Any], process_id: str
) -> Done:
    """Complete the task as the first demo user who may, with its data marked."""
    who = next(u for u in WORKERS if instances.can_work_on(actor(db, u), task))
    text = marker(task.id)
    with db.read() as session:
        data = mark(instances.task_schema(session, task), data, text)
    data, uploads = _split_uploads(data)
    with db.write() as session:
        completion.complete_task(
            session, actor(db, who), task.id, data, uploads,
            settings.data_dir / "attachments",
        )  # fmt: skip
    with db.read() as session:
        unit = session.get(Unit, task.unit_id)
        docs = session.scalars(select(Document.id).where(Document.task_record_id == task.id))
        files = session.scalars(select(Attachment.id).where(Attachment.task_record_id == task.id))
        return Done(
            task.id, task.instance_id, process_id, task.bpmn_id, unit.code, who, text,
            list(docs), list(files),
        )  # fmt: skip


def run_path(
    db: Database,
    settings: Settings,
    process_id: str,
    path: str,
    until: str | None = None,
    **overrides: dict[str, Any],
) -> Run:
    """Start the process as it starts in use and complete every task the path names, in order
    (or until the task ``until`` is open); ``overrides`` (bpmn id -> fields) change what a task
    submits."""
    sample, data = _path_data(process_id, path)
    instance_id, case_id = _start(db, process_id, sample, data)
    return _drive(db, settings, Run(process_id, path, instance_id, case_id, []), data, until,
                  overrides)  # fmt: skip


def continue_path(
    db: Database, settings: Settings, process_id: str, path: str, instance_id: int
) -> Run:
    """Complete the tasks of an instance something else started (a task's ``starts``)."""
    with db.read() as session:
        case_id = session.get(ProcessInstance, instance_id).case_id
    _, data = _path_data(process_id, path)
    return _drive(db, settings, Run(process_id, path, instance_id, case_id, []), data, None, {})


def _drive(
    db: Database,
    settings: Settings,
    run: Run,
    data: PathData,
    until: str | None,
    overrides: dict[str, dict[str, Any]],
) -> Run:
    for _ in range(40):
        tasks = _open_tasks(db, run.instance_id)
        if not tasks or tasks[0].bpmn_id == until:
            break
        task = tasks[0]
        submitted = {**data.next(task.bpmn_id), **overrides.get(task.bpmn_id, {})}
        run.done.append(complete(db, settings, task, submitted, run.process_id))
    with db.read() as session:
        status = session.get(ProcessInstance, run.instance_id).status
    assert (status == "completed") == (until is None), (run, [d.bpmn_id for d in run.done])
    return run


@dataclass
class Seen:
    """What one surface showed a user: its status, its text, the document ids it listed."""

    status: int
    text: str
    documents: set[int]


class Viewer:
    """One demo user, logged in on the web and holding an API token."""

    def __init__(self, app: Flask, db: Database, username: str) -> None:
        from app.services.identity import org

        self.username = username
        self.web = app.test_client()
        login(self.web, username)
        with db.write() as session:
            token = org.create_token(session, SYSTEM, username)
        self.api = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def page(self, instance_id: int) -> Seen:
        response = self.web.get(f"/instances/{instance_id}")
        text = response.get_data(as_text=True)
        listed = {int(i) for i in re.findall(r'href="/documents/(\d+)"', text)}
        return Seen(response.status_code, text, listed)

    def instance_json(self, instance_id: int) -> Seen:
        response = self.api.get(f"/api/v1/instances/{instance_id}", headers=self.headers)
        body = response.get_json(silent=True) or {}
        listed = {d["id"] for d in body.get("documents", [])}
        return Seen(response.status_code, json.dumps(body, ensure_ascii=False), listed)

    def dossier(self, instance_id: int) -> Seen:
        response = self.web.get(f"/instances/{instance_id}/dossier.zip")
        if response.status_code != 200:
            return Seen(response.status_code, "", set())
        with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
            history = zf.read("history.json").decode()
            names = zf.namelist()
        listed = {int(m.group(1)) for n in names if (m := re.match(r"documents/(\d+)-", n))}
        return Seen(200, history, listed)

    def case_json(self, case_id: int) -> Seen:
        response = self.api.get(f"/api/v1/cases/{case_id}", headers=self.headers)
        body = response.get_json(silent=True) or {}
        listed = {e["document_id"] for e in body.get("timeline", []) if "document_id" in e}
        return Seen(response.status_code, json.dumps(body, ensure_ascii=False), listed)

    def document(self, document_id: int) -> tuple[int, int]:
        """(web, API) status of downloading a document."""
        web = self.web.get(f"/documents/{document_id}").status_code
        api = self.api.get(f"/api/v1/documents/{document_id}", headers=self.headers).status_code
        return web, api

    def attachment(self, attachment_id: int) -> tuple[int, int]:
        web = self.web.get(f"/attachments/{attachment_id}").status_code
        api = self.api.get(f"/api/v1/attachments/{attachment_id}", headers=self.headers)
        return web, api.status_code
