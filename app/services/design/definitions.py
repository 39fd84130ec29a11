"""Deploying process definitions: parse, check the product's rules, store a new version."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.config import CAMUNDA_GROUP_ROLES
from app.engine import (
    BpmnDefinitionError,
    DefinitionProblem,
    ParsedProcess,
    called_elements,
    parse_with_decisions,
    started_processes,
)
from app.errors import InvalidInput, NotFound
from app.models import ProcessDefinition
from app.services import district_settings
from app.services.actor import Actor
from app.services.design import bundles, definition_rules, deploy_checks, generic_ids
from app.services.execution import gates, lanes, process_messages
from app.services.identity.permissions import Action, require
from app.services.records import audit
from app.services.uow import unit_of_work

FORM_PROPERTY = "formJsonSchemaFilename"
UI_PROPERTY = "formUiSchemaFilename"
NO_FORM = "用户任务没有指定表单（建模器中可在“表单与办理”选择表单或点“创建默认表单”）"


@dataclass
class Checked:
    parsed: ParsedProcess
    forms: dict[str, Any]
    problems: list[DefinitionProblem]


@dataclass
class Resources:
    """What a definition brings besides its diagram: DMN files (name -> XML), forms uploaded
    with it (path -> JSON text) and, for a new version made in the web modeler, the forms of
    the version it edits (used when the forms folder has no such file)."""

    decisions: dict[str, bytes] = field(default_factory=dict)
    forms: dict[str, bytes] = field(default_factory=dict)
    carried_forms: dict[str, Any] = field(default_factory=dict)


def carried(definition: ProcessDefinition | None) -> Resources:
    """A version's decision tables and forms, for the next version made from it."""
    if definition is None:
        return Resources()
    decisions = {k: v.encode("utf-8") for k, v in (definition.decisions or {}).items()}
    return Resources(decisions, {}, dict(definition.forms or {}))


def _load_form(forms_dir: Path, name: str, resources: Resources) -> tuple[Any | None, str | None]:
    uploaded = bundles.find(resources.forms, name)
    if uploaded is not None:
        try:
            return json.loads(uploaded[1].decode("utf-8")), None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return None, f"表单文件不是有效的 JSON：{uploaded[0]}（{exc}）"
    path = (forms_dir / name).resolve()
    if forms_dir.resolve() not in path.parents:
        return None, f"表单路径越界：{name}"
    if not path.is_file():
        if name in resources.carried_forms:
            return resources.carried_forms[name], None
        return None, f"表单文件不存在：{name}（请随流程图一并上传，或放入表单目录）"
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except json.JSONDecodeError as exc:
        return None, f"表单文件不是有效的 JSON：{name}（{exc}）"


def check(
    content: bytes,
    forms_dir: Path,
    filename: str = "upload.bpmn",
    called: dict[str, bytes] | None = None,
    deployed: set[str] | None = None,
    resources: Resources | None = None,
    group_roles: dict[str, str] | None = None,
) -> Checked:
    """Parse and apply the domain rules; raises BpmnDefinitionError when it cannot parse.
    ``deployed``: the process ids a ``starts`` property may name (None: not checked);
    ``group_roles``: Camunda candidate groups -> roles (district setting)."""
    resources = resources or Resources()
    parsed = parse_with_decisions(content, filename, called, resources.decisions, group_roles)
    problems: list[DefinitionProblem] = []
    forms: dict[str, Any] = {}
    for task in parsed.user_tasks:
        lane_issue = lanes.lane_problem(task.lane)
        if lane_issue:
            problems.append(DefinitionProblem(task.bpmn_id, lane_issue))
        for prop in (FORM_PROPERTY, UI_PROPERTY):
            name = task.properties.get(prop)
            if not name:
                if prop == FORM_PROPERTY:
                    problems.append(DefinitionProblem(task.bpmn_id, NO_FORM))
                continue
            if name in parsed.facts.generated_forms:  # converted from camunda:formData
                forms[name] = parsed.facts.generated_forms[name]
                continue
            schema, issue = _load_form(forms_dir, name, resources)
            if issue:
                problems.append(DefinitionProblem(task.bpmn_id, issue))
            else:
                forms[name] = schema
        if deployed is not None:
            for started in starts_of(task.properties):
                if started not in deployed:
                    problems.append(
                        DefinitionProblem(
                            task.bpmn_id, f"办结时要启动的流程尚未部署：{started}（starts 属性）"
                        )
                    )
    problems[:0] = parsed.problems  # the engine's checks: schema, unsupported, expressions
    problems.extend(deploy_checks.problems(parsed.facts))
    problems.extend(definition_rules.problems(parsed, forms))
    missing = gates.REQUIRED_TASKS.get(parsed.process_id, set()) - {
        t.bpmn_id for t in parsed.user_tasks
    }
    for bpmn_id in sorted(missing):
        problems.append(
            DefinitionProblem(bpmn_id, f"该流程必须包含用户任务 {bpmn_id}（法制审核硬性规则）")
        )
    if not parsed.start_lane and not any("开始事件" in p.message for p in problems):
        problems.append(DefinitionProblem("", "开始事件须位于某一泳道中（泳道决定谁可以发起流程）"))
    return Checked(parsed, forms, problems)


def validate(
    session: Session,
    content: bytes,
    forms_dir: Path,
    filename: str = "upload.bpmn",
    resources: Resources | None = None,
) -> list[DefinitionProblem]:
    """Every error and warning deploy() would judge by, without deploying (the modeler's check)."""
    try:
        called, callee_decisions = _called(session, content)
        resources = _with_callee_decisions(resources, callee_decisions)
        checked = check(
            content,
            forms_dir,
            filename,
            called,
            deployed_ids(session),
            resources,
            _group_roles(session),
        )
        received = process_messages.received_names(session)
        return checked.problems + deploy_checks.send_warnings(checked.parsed.facts, received)
    except BpmnDefinitionError as exc:
        if exc.facts is None:  # not even XML: nothing more to say
            return exc.problems
        return exc.problems + deploy_checks.problems(exc.facts)


def _with_callee_decisions(
    resources: Resources | None, callee_decisions: dict[str, bytes]
) -> Resources:
    """The called processes' decision tables beside this definition's own (its own win)."""
    resources = resources or Resources()
    if not callee_decisions:
        return resources
    return Resources(
        {**callee_decisions, **resources.decisions}, resources.forms, resources.carried_forms
    )


def deploy(
    session: Session,
    actor: Actor,
    content: bytes,
    forms_dir: Path,
    filename: str = "upload.bpmn",
    comment: str = "",
    resources: Resources | None = None,
) -> ProcessDefinition:
    """Store a new immutable version; an unchanged file returns the latest version as is.
    ``resources``: the decision tables and forms uploaded with it."""
    own = resources or Resources()
    called, callee_decisions = _called(session, content)
    try:
        checked = check(
            content, forms_dir, filename, called, deployed_ids(session),
            _with_callee_decisions(own, callee_decisions), _group_roles(session),
        )  # fmt: skip
    except BpmnDefinitionError as exc:
        raise InvalidInput(
            "流程定义无效", {p.element_id: [p.message] for p in exc.problems}
        ) from exc
    blocking = [p for p in checked.problems if p.severity == "error"]
    if blocking:
        errors: dict[str, list[str]] = {}
        for p in blocking:
            errors.setdefault(p.element_id, []).append(p.message)
        raise InvalidInput("流程定义未通过校验", errors)
    parsed = checked.parsed
    # the called processes are bundled into the version, so they are part of what it is
    # (a new version of a callee makes the next deploy of its caller a new version too)
    callees = b"".join(called[k] for k in sorted(called))
    decisions = {k: v.decode("utf-8") for k, v in sorted(own.decisions.items())}
    # roles mapped from Camunda candidate groups are part of what the file deploys as
    roles = parsed.facts.mapped_roles
    sha = hashlib.sha256(
        content
        + json.dumps(checked.forms, sort_keys=True).encode()
        + callees
        + (json.dumps(decisions, sort_keys=True).encode() if decisions else b"")
        + (json.dumps(roles, sort_keys=True).encode() if roles else b"")
    ).hexdigest()
    latest = latest_definition(session, parsed.process_id, required=False)
    if latest is not None and latest.sha256 == sha:
        return latest
    version = (
        session.scalar(
            select(func.max(ProcessDefinition.version)).where(
                ProcessDefinition.process_id == parsed.process_id
            )
        )
        or 0
    ) + 1
    definition = ProcessDefinition(
        process_id=parsed.process_id,
        version=version,
        name=parsed.name,
        bpmn_xml=content.decode("utf-8"),
        sha256=sha,
        spec_json=parsed.spec_json,
        forms=checked.forms,
        decisions=decisions,
        deployed_at=clock.now(),
        deployed_by=actor.username,
        comment=comment,
        start_lane=parsed.start_lane,
    )
    session.add(definition)
    session.flush()
    audit.record(
        session, actor, "definition.deploy",
        process_id=parsed.process_id, version=version, sha256=sha, comment=comment,
    )  # fmt: skip
    return definition


def _group_roles(session: Session) -> dict[str, str]:
    return district_settings.get(session, CAMUNDA_GROUP_ROLES)


def starts_of(properties: dict[str, str]) -> list[str]:
    """The task property ``starts``: processes started, without waiting for them, when the
    task completes (the discipline organ's feedback after a transfer)."""
    return [p.strip() for p in properties.get("starts", "").split(",") if p.strip()]


def deployed_ids(session: Session) -> set[str]:
    return set(session.scalars(select(ProcessDefinition.process_id).distinct()))


MAX_UPLOAD_BYTES = bundles.MAX_UPLOAD_BYTES


@dataclass
class Upload:
    """The outcome of an uploaded diagram: deployed (or unchanged), or refused with problems."""

    definition: ProcessDefinition | None
    created: bool
    problems: list[DefinitionProblem]

    @property
    def errors(self) -> list[DefinitionProblem]:
        return [p for p in self.problems if p.severity == "error"]


@unit_of_work
def upload(
    session: Session,
    actor: Actor,
    files: list[bundles.UploadedFile],
    forms_dir: Path,
    comment: str,
    confirm_new_version: bool = False,
) -> Upload:
    """Validate and deploy an uploaded definition (from our modeler, SpiffArena or Camunda
    Modeler): its .bpmn with the .dmn decision tables and form .json files it uses, or a .zip
    of them.

    A refusal changes nothing; an unchanged file deploys nothing and names the current version.
    A generic process id (``Process_1``) whose content is unrelated to the deployed process
    of that id is refused unless ``confirm_new_version`` (``generic_ids``).
    """
    require(actor.role, Action.DEPLOY)
    bundle, refused = bundles.read(files)
    if bundle is None:
        return Upload(None, False, refused)
    content, filename = bundle.bpmn, bundle.bpmn_name
    if not content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        not_xml = DefinitionProblem("", f"不是 BPMN 文件：{filename} 的内容不是 XML")
        return Upload(None, False, [not_xml])
    resources = Resources(bundle.decisions, bundle.forms)
    problems = bundle.warnings + validate(session, content, forms_dir, filename, resources)
    if any(p.severity == "error" for p in problems):
        return Upload(None, False, problems)
    if not confirm_new_version:
        unrelated = generic_ids.problem(session, content)
        if unrelated is not None:
            return Upload(None, False, [unrelated, *problems])
    before = session.scalar(select(func.count()).select_from(ProcessDefinition))
    definition = deploy(
        session, actor, content, forms_dir, filename, comment.strip()[:500], resources
    )
    after = session.scalar(select(func.count()).select_from(ProcessDefinition))
    return Upload(definition, bool(after and after > (before or 0)), problems)


def _called(session: Session, content: bytes) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The latest deployed BPMN of every process this file calls (and of what they call), and
    the decision tables deployed with them."""
    try:
        wanted = called_elements(content)
    except BpmnDefinitionError:
        return {}, {}  # deploy() reports the XML error
    found: dict[str, bytes] = {}
    decisions: dict[str, bytes] = {}
    while wanted:
        process_id = wanted.pop()
        definition = latest_definition(session, process_id, required=False)
        if definition is None or process_id in found:
            continue
        found[process_id] = definition.bpmn_xml.encode("utf-8")
        for name, text in (definition.decisions or {}).items():
            decisions.setdefault(name, text.encode("utf-8"))
        wanted |= called_elements(found[process_id]) - set(found)
    return found, decisions


SHIPPED_NOTE = "随系统从 processes/ 目录部署"


def deploy_directory(
    session: Session, actor: Actor, processes_dir: Path, forms_dir: Path
) -> list[ProcessDefinition]:
    """Deploy every file, callees before their callers."""
    paths = sorted(processes_dir.glob("*.bpmn"))
    calls = {
        path.stem: called_elements(path.read_bytes()) | started_processes(path.read_bytes())
        for path in paths
    }
    ordered: list[Path] = []
    remaining = list(paths)
    while remaining:
        ready = [p for p in remaining if not (calls[p.stem] & {r.stem for r in remaining})]
        for path in ready or remaining:  # a cycle: deploy the rest and let parsing report it
            ordered.append(path)
            remaining.remove(path)
    return [
        deploy(session, actor, path.read_bytes(), forms_dir, path.name, SHIPPED_NOTE)
        for path in ordered
    ]


def latest_definition(
    session: Session, process_id: str, required: bool = True
) -> ProcessDefinition | None:
    definition = session.scalar(
        select(ProcessDefinition)
        .where(ProcessDefinition.process_id == process_id)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )
    if definition is None and required:
        raise NotFound(f"流程未部署：{process_id}")
    return definition
