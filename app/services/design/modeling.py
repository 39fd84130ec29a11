"""What the web modeler needs besides the diagram: forms to pick, deadline previews, checks.

The modeler edits one process (its page is per process id); deploying goes through
``definitions.deploy`` like every other way in, so the rules are the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app import inputs
from app.documents import DOCUMENT_KINDS
from app.engine import BpmnDefinitionError, DefinitionProblem, executable_process_ids
from app.errors import InvalidInput
from app.models import ROLES, ProcessDefinition
from app.services.actor import Actor
from app.services.design import definitions, page_forms
from app.services.design.definition_rules import RECORDED_STARTS
from app.services.execution import holidays, lanes
from app.services.identity import access
from app.services.uow import unit_of_work

SCHEMA_SUFFIX = ".schema.json"
UI_SUFFIX = ".uischema.json"
DEADLINE_KINDS = {"working": "working_days", "calendar": "calendar_days"}
MAX_PREVIEW_DAYS = 366
# roles a user task may be narrowed to (the `role` property); the others never work on tasks
TASK_ROLES = ("agency", "agency_head", "legal_adviser", "center", "bureau", "bureau_head", "leader")
ASSIGNEE_RULES = {"designated_reviewer": "本单位合法性审查专人"}  # the `assignee` property
UNIT_KIND_LABELS = {
    "center": "调处中心",
    "bureau": "司法局",
    "government": "区政府",
    "agency": "案涉行政机关（每案指定）",
    "discipline": "纪检监察机关",
}


@dataclass
class DateField:
    name: str
    title: str


@dataclass
class FormFile:
    path: str  # relative to forms/, as the task property names it
    title: str
    date_fields: list[DateField] = field(default_factory=list)


@dataclass
class ProcessForms:
    schemas: list[FormFile]
    ui_schemas: list[str]

    def date_fields(self) -> list[DateField]:
        """Every date field of the process's forms, once per name."""
        seen: dict[str, DateField] = {}
        for form in self.schemas:
            for each in form.date_fields:
                seen.setdefault(each.name, each)
        return sorted(seen.values(), key=lambda f: f.name)

    def as_json(self) -> dict[str, Any]:
        return {
            "schemas": [
                {
                    "path": f.path,
                    "title": f.title,
                    "date_fields": [vars(d) for d in f.date_fields],
                }
                for f in self.schemas
            ],
            "ui_schemas": self.ui_schemas,
            "date_fields": [vars(d) for d in self.date_fields()],
        }


def _date_fields(schema: Any) -> list[DateField]:
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return []
    return [
        DateField(name, str(prop.get("title") or name))
        for name, prop in props.items()
        if isinstance(prop, dict) and prop.get("format") == "date"
    ]


def process_forms(forms_dir: Path, process_id: str) -> ProcessForms:
    """The form files under ``forms/<process_id>/`` with the date fields each one asks for."""
    folder = forms_dir / process_id
    schemas: list[FormFile] = []
    ui_schemas: list[str] = []
    if folder.is_dir() and folder.resolve().parent == forms_dir.resolve():
        for path in sorted(folder.glob("*.json")):
            relative = f"{process_id}/{path.name}"
            if path.name.endswith(UI_SUFFIX):
                ui_schemas.append(relative)
            elif path.name.endswith(SCHEMA_SUFFIX):
                try:
                    schema = json.loads(path.read_text(encoding="utf-8"))
                except (json.JSONDecodeError, UnicodeDecodeError):
                    schema = {}  # validation names the broken file when a task uses it
                title = schema.get("title") if isinstance(schema, dict) else None
                schemas.append(FormFile(relative, str(title or path.name), _date_fields(schema)))
    return ProcessForms(schemas, ui_schemas)


def with_stored(forms: ProcessForms, stored: dict[str, Any]) -> ProcessForms:
    """The forms folder's files and the forms a version stored that the folder lacks (made in
    the modeler or uploaded with a .bpmn file), so the panel lists what the diagram names."""
    schemas, ui_schemas = list(forms.schemas), list(forms.ui_schemas)
    known = {f.path for f in schemas} | set(ui_schemas)
    for path, schema in sorted(stored.items()):
        if path in known:
            continue
        if path.endswith(UI_SUFFIX):
            ui_schemas.append(path)
        elif path.endswith(SCHEMA_SUFFIX):
            title = schema.get("title") if isinstance(schema, dict) else None
            schemas.append(FormFile(path, str(title or path), _date_fields(schema)))
    return ProcessForms(schemas, ui_schemas)


def page_context(definition: ProcessDefinition, forms: ProcessForms) -> dict[str, Any]:
    """Everything the modeler page's script starts from (embedded in the page as JSON)."""
    forms = with_stored(forms, definition.forms or {})
    return {
        "process_id": definition.process_id,
        "name": definition.name,
        "version": definition.version,
        "xml": definition.bpmn_xml,
        **vocabulary(forms),
    }


def vocabulary(forms: ProcessForms) -> dict[str, Any]:
    """What the panel offers: the process' forms, lanes, roles, assignees, documents, starts."""
    return {
        "forms": forms.as_json(),
        "lanes": {
            lane: UNIT_KIND_LABELS.get(kind, kind) for lane, kind in lanes.LANE_UNIT_KIND.items()
        },
        "roles": {role: ROLES[role] for role in TASK_ROLES},
        "assignees": ASSIGNEE_RULES,
        "documents": DOCUMENT_KINDS,
        "starts": [{"value": k, "label": v} for k, v in RECORDED_STARTS.items()],
        "readers": access.READERS,
        "default_form": page_forms.default_form(),
    }


@dataclass
class DeadlinePreview:
    due: date
    explanation: str
    provisional: bool


def deadline_preview(session: Session, kind: str, days: str, start: str) -> DeadlinePreview:
    """The due date a deadline of this kind gives for a sample start date, with its reasons."""
    if kind not in DEADLINE_KINDS:
        raise InvalidInput("期限类型须为工作日（working）或自然日（calendar）", {"kind": ["无效"]})
    try:
        n = int(days)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_PREVIEW_DAYS:
        raise InvalidInput(f"天数须为 1 到 {MAX_PREVIEW_DAYS} 之间的整数", {"days": ["须为正整数"]})
    try:
        first = date.fromisoformat(start)
    except ValueError as exc:
        raise InvalidInput("示例日期须为 YYYY-MM-DD 格式", {"date": ["日期无效"]}) from exc
    problem = inputs.day_problem(first)
    if problem:
        raise InvalidInput(f"示例日期：{problem}", {"date": [problem]})
    working = n if kind == "working" else None
    result = holidays.deadline(session, first, working, None if working else n)
    return DeadlinePreview(result.due_date, result.explain(), result.provisional)


def _resources(
    latest: ProcessDefinition | None, made_forms: dict[str, bytes] | None
) -> definitions.Resources:
    """The version edited (its decisions, its forms) and the forms the page made."""
    resources = definitions.carried(latest)
    resources.forms = dict(made_forms or {})
    return resources


def problems(
    session: Session,
    process_id: str,
    content: bytes,
    forms_dir: Path,
    made_forms: dict[str, bytes] | None = None,
) -> list[DefinitionProblem]:
    """definitions.validate, plus: the diagram must still be the process this page edits.
    ``made_forms``: forms the page made (``page_forms``), stored with the version."""
    latest = definitions.latest_definition(session, process_id, required=False)
    found = definitions.validate(
        session, content, forms_dir, f"{process_id}.bpmn", _resources(latest, made_forms)
    )
    try:
        ids = executable_process_ids(content)
    except BpmnDefinitionError:
        return found  # validate() already reports why the XML is unreadable
    if len(ids) == 1 and ids[0] != process_id:
        found.insert(
            0,
            DefinitionProblem(
                ids[0], f"可执行流程的 ID 为“{ids[0]}”，此页面编辑的是“{process_id}”，请勿修改"
            ),
        )
    return found


def as_json(found: list[DefinitionProblem]) -> list[dict[str, object]]:
    return [p.as_dict() for p in found]


class DeployRefused(InvalidInput):
    """Deploying from the modeler failed validation; ``problems`` says where."""

    def __init__(self, message: str, found: list[DefinitionProblem]) -> None:
        errors: dict[str, list[str]] = {}
        for p in found:
            errors.setdefault(p.element_id, []).append(p.message)
        super().__init__(message, errors)
        self.problems = found


@dataclass
class Deployed:
    definition: ProcessDefinition
    unchanged: bool  # the same diagram and forms as the latest version: nothing stored


@unit_of_work
def deploy(
    session: Session,
    actor: Actor,
    process_id: str,
    content: bytes,
    comment: str,
    forms_dir: Path,
    made_forms: dict[str, bytes] | None = None,
) -> Deployed:
    """Validate with the page's rules and store a new version (one transaction, audited)."""
    comment = comment.strip()
    if not comment:
        raise InvalidInput("请填写部署说明（为何修改）", {"comment": ["此项为必填项"]})
    latest = definitions.latest_definition(session, process_id, required=False)  # new: None
    found = problems(session, process_id, content, forms_dir, made_forms)
    blocking = [p for p in found if p.severity == "error"]
    if blocking:
        raise DeployRefused("流程定义未通过校验，未部署", blocking)
    definition = definitions.deploy(
        session, actor, content, forms_dir, f"{process_id}.bpmn", comment,
        _resources(latest, made_forms),
    )  # fmt: skip
    return Deployed(definition, unchanged=latest is not None and definition.id == latest.id)
