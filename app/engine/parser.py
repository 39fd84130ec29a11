"""Parsing BPMN into SpiffWorkflow specs, safely, with our clock-aware timers swapped in."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from app.engine import iso_timers, wording
from app.engine.problems import BpmnDefinitionError, DefinitionProblem, DiagramFacts
from app.engine.serializer import SERIALIZER
from app.engine.timers import REPLACEMENTS

MAX_BPMN_BYTES = 2 * 1024 * 1024

_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


@dataclass
class UserTaskInfo:
    bpmn_id: str
    name: str
    lane: str
    properties: dict[str, str]
    timers: list[TimerInfo] = field(default_factory=list)
    named: bool = True  # the diagram gives it a name (else ``name`` is its id)


@dataclass
class ScriptInfo:
    """A script the diagram runs: a script task's body or a task's pre/post script."""

    bpmn_id: str
    kind: str  # script / preScript / postScript
    source: str


@dataclass
class TimerInfo:
    bpmn_id: str
    name: str
    expression: str
    interrupting: bool
    properties: dict[str, str]
    kind: str = "timeDate"  # or timeDuration, timeCycle


@dataclass
class ParsedProcess:
    process_id: str
    name: str
    spec_json: str
    user_tasks: list[UserTaskInfo]
    lanes: list[str]
    start_lane: str
    scripts: list[ScriptInfo] = field(default_factory=list)
    message_variables: set[str] = field(default_factory=set)  # names messages put into data
    other_timers: list[TimerInfo] = field(default_factory=list)  # not on a user task
    problems: list[DefinitionProblem] = field(default_factory=list)  # found while checking
    facts: DiagramFacts = field(default_factory=DiagramFacts)


def parse_xml(content: bytes) -> Any:
    if len(content) > MAX_BPMN_BYTES:
        raise BpmnDefinitionError([DefinitionProblem("", "文件过大（上限 2 MiB）")])
    if b"<!DOCTYPE" in content[:4096] or b"<!ENTITY" in content:
        raise BpmnDefinitionError([DefinitionProblem("", "不允许 DTD 或实体声明")])
    try:
        return etree.fromstring(content, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        where = f"第 {line} 行第 {column} 列" if line else "文件"
        raise BpmnDefinitionError(
            [
                DefinitionProblem(
                    "",
                    f"XML 格式错误：{where}不是合规的 XML（标签未闭合、引号不配对或字符非法）",
                    detail=str(exc),
                    line=line,
                    column=column,
                )  # fmt: skip
            ]
        ) from exc


def _swap_timers(spec: Any) -> None:
    for task_spec in spec.task_specs.values():
        definition = getattr(task_spec, "event_definition", None)
        replacement = REPLACEMENTS.get(type(definition))
        if replacement is not None:
            definition.__class__ = replacement


def _start_lane(spec: Any) -> str:
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, StartEvent) and getattr(task_spec, "lane", None):
            return str(task_spec.lane)
    return ""


def _scripts(spec: Any) -> tuple[list[ScriptInfo], set[str]]:
    scripts: list[ScriptInfo] = []
    variables: set[str] = set()
    for task_spec in spec.task_specs.values():
        bpmn_id = getattr(task_spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        for kind, attr in (("script", "script"), ("preScript", "prescript"),
                           ("postScript", "postscript")):  # fmt: skip
            source = getattr(task_spec, attr, None)
            if isinstance(source, str) and source.strip():
                scripts.append(ScriptInfo(bpmn_id, kind, source))
        definition = getattr(task_spec, "event_definition", None)
        variable = getattr(definition, "message_var", None) or getattr(definition, "variable", None)
        if isinstance(variable, str) and variable:
            variables.add(variable)
        for attr in ("input_item", "output_item"):  # a multi-instance task's item
            item = getattr(getattr(task_spec, attr, None), "bpmn_id", None)
            if isinstance(item, str) and item:
                variables.add(item)
    variables |= set(getattr(spec, "data_objects", {}) or {})
    return scripts, variables


def _describe(spec: Any) -> tuple[list[UserTaskInfo], list[str], list[TimerInfo]]:
    users: dict[str, UserTaskInfo] = {}
    boundary: list[tuple[str, TimerInfo]] = []
    lanes: list[str] = []
    for task_spec in spec.task_specs.values():
        lane = getattr(task_spec, "lane", None)
        if lane and lane not in lanes:
            lanes.append(lane)
        props = dict(getattr(task_spec, "extensions", {}).get("properties", {}))
        if isinstance(task_spec, UserTask):
            users[task_spec.bpmn_id] = UserTaskInfo(
                task_spec.bpmn_id,
                task_spec.bpmn_name or task_spec.bpmn_id,
                lane or "",
                props,
                named=bool((task_spec.bpmn_name or "").strip()),
            )
        definition = getattr(task_spec, "event_definition", None)
        if isinstance(task_spec, CatchingEvent) and isinstance(definition, TimerEventDefinition):
            split = next(iter(task_spec.inputs), None)
            split_name = split.name if split is not None else ""
            on_boundary = split_name.endswith(".BoundaryEventSplit")
            # an intermediate timer's input is the element before it, not a host
            host = split_name.removesuffix(".BoundaryEventSplit") if on_boundary else ""
            info = TimerInfo(
                task_spec.bpmn_id,
                task_spec.bpmn_name or task_spec.bpmn_id,
                definition.expression,
                bool(getattr(task_spec, "cancel_activity", True)),
                props,
                iso_timers.kind_of(definition),
            )
            boundary.append((host, info))
    elsewhere = []  # timers not on a user task: intermediate events, other hosts
    for host, info in boundary:
        if host in users:
            users[host].timers.append(info)
        else:
            elsewhere.append(info)
    return list(users.values()), lanes, elsewhere


BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


def parse_bpmn_root(content: bytes) -> Any:
    """The safe lxml tree of a BPMN file; refuses XML whose root is not BPMN ``definitions``."""
    root = parse_xml(content)
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise BpmnDefinitionError(
            [DefinitionProblem("", "不是 BPMN 文件：根元素须为 BPMN 2.0 的 definitions")]
        )
    return root


def adopt_camunda_conventions(root: Any) -> Any:
    """Read a Camunda Modeler diagram as if SpiffArena had written it (changes ``root``).

    Camunda 7 keeps task properties in ``camunda:properties``; our engine reads
    ``spiffworkflow:properties``. A ``camunda:formKey`` naming a JSON Schema counts as the form.
    Properties already written the SpiffArena way win over the Camunda ones.
    """
    for extensions in root.iter(f"{{{BPMN_NS}}}extensionElements"):
        camunda = [
            (prop.get("name"), prop.get("value"))
            for group in extensions.findall(f"{{{CAMUNDA_NS}}}properties")
            for prop in group.findall(f"{{{CAMUNDA_NS}}}property")
            if prop.get("name")
        ]
        form_key = extensions.getparent().get(f"{{{CAMUNDA_NS}}}formKey") or ""
        if form_key.endswith(".schema.json"):
            camunda.insert(0, ("formJsonSchemaFilename", form_key))
        if camunda:
            merge_spiff_properties(extensions, camunda)
    for node in root.iter():
        form_key = node.get(f"{{{CAMUNDA_NS}}}formKey") or ""
        if (
            form_key.endswith(".schema.json")
            and node.find(f"{{{BPMN_NS}}}extensionElements") is None
        ):
            extensions = etree.Element(f"{{{BPMN_NS}}}extensionElements")
            # the schema wants documentation first, then extensionElements
            docs = node.findall(f"{{{BPMN_NS}}}documentation")
            node.insert(node.index(docs[-1]) + 1 if docs else 0, extensions)
            merge_spiff_properties(extensions, [("formJsonSchemaFilename", form_key)])
    for node in root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        _adopt_decision_ref(node)
    iso_timers.quote_iso_literals(root)
    return root


def _adopt_decision_ref(node: Any) -> None:
    """``camunda:decisionRef`` read as SpiffArena's ``spiffworkflow:calledDecisionId``."""
    ref = (node.get(f"{{{CAMUNDA_NS}}}decisionRef") or "").strip()
    if not ref or decision_ref(node):
        return
    extensions = node.find(f"{{{BPMN_NS}}}extensionElements")
    if extensions is None:
        extensions = etree.Element(f"{{{BPMN_NS}}}extensionElements")
        docs = node.findall(f"{{{BPMN_NS}}}documentation")  # documentation comes first
        node.insert(node.index(docs[-1]) + 1 if docs else 0, extensions)
    etree.SubElement(extensions, f"{{{SPIFF_NS}}}calledDecisionId").text = ref


def decision_ref(node: Any) -> str:
    """The decision a business rule task calls (``spiffworkflow:calledDecisionId``)."""
    extensions = node.find(f"{{{BPMN_NS}}}extensionElements")
    found = extensions.find(f"{{{SPIFF_NS}}}calledDecisionId") if extensions is not None else None
    return (found.text or "").strip() if found is not None else ""


def merge_spiff_properties(extensions: Any, pairs: list[tuple[str | None, str | None]]) -> None:
    group = extensions.find(f"{{{SPIFF_NS}}}properties")
    if group is None:
        group = etree.SubElement(extensions, f"{{{SPIFF_NS}}}properties")
    present = {p.get("name") for p in group.findall(f"{{{SPIFF_NS}}}property")}
    for name, value in pairs:
        if name not in present:
            etree.SubElement(group, f"{{{SPIFF_NS}}}property", name=name or "", value=value or "")
            present.add(name)


def _executable_ids(root: Any) -> list[str]:
    return [
        node.get("id")
        for node in root.iter(f"{{{BPMN_NS}}}process")
        if node.get("isExecutable", "true") == "true"
    ]


def executable_process_ids(content: bytes) -> list[str]:
    """The ids of the file's executable processes (raises BpmnDefinitionError on bad XML)."""
    return _executable_ids(parse_xml(content))


def called_elements(content: bytes) -> set[str]:
    """Process ids the file's call activities call (to fetch them before parsing)."""
    root = parse_bpmn_root(content)
    return {
        node.get("calledElement")
        for node in root.iter(f"{{{BPMN_NS}}}callActivity")
        if node.get("calledElement")
    }


def started_processes(content: bytes) -> set[str]:
    """Process ids the file's tasks start when they complete (the ``starts`` property), so a
    directory deploys them first."""
    root = parse_bpmn_root(content)
    found: set[str] = set()
    for node in root.iter():
        if (
            isinstance(node.tag, str)
            and node.tag.endswith("}property")
            and (node.get("name") == "starts")
        ):
            found |= {p.strip() for p in (node.get("value") or "").split(",") if p.strip()}
    return found


def parse_root(
    root: Any,
    process_id: str,
    filename: str = "upload.bpmn",
    called: Mapping[str, bytes] | None = None,
    decisions: Sequence[tuple[str, Any]] = (),
) -> ParsedProcess:
    """Parse the executable process ``process_id`` of a schema-valid BPMN tree (see
    ``app.engine.checking.parse_bpmn``); raise BpmnDefinitionError in Chinese.

    ``called`` holds the BPMN of processes its call activities call, by process id; their
    specs are bundled into this definition, so a version keeps the callee it was deployed with.
    ``decisions``: (file name, DMN document) its business rule tasks call (engine.decisions).
    """
    parser = SpiffBpmnParser(validator=None)  # the caller validated the tree against the XSD
    try:
        for dmn_filename, document in decisions:
            parser.add_dmn_xml(document, dmn_filename)
        parser.add_bpmn_xml(root, filename)
        for callee_id, callee in (called or {}).items():
            if callee_id != process_id:
                parser.add_bpmn_xml(
                    adopt_camunda_conventions(parse_bpmn_root(callee)), f"{callee_id}.bpmn"
                )
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        english = str(exc)
        raise BpmnDefinitionError(
            [
                DefinitionProblem(
                    str(getattr(exc, "id", "") or ""),
                    wording.parser_message(english),
                    detail=wording.shorten(english),
                    line=getattr(exc, "line_number", None) or None,
                )  # fmt: skip
            ]
        ) from exc
    except BpmnDefinitionError:
        raise
    except Exception as exc:  # the parser raises many kinds; each is a bad definition
        english = f"{type(exc).__name__}: {exc}"
        raise BpmnDefinitionError(
            [
                DefinitionProblem(
                    "", wording.parser_message(english), detail=wording.shorten(english)
                )
            ]
        ) from exc
    user_tasks: list[UserTaskInfo] = []
    lanes: list[str] = []
    scripts: list[ScriptInfo] = []
    variables: set[str] = set()
    other_timers: list[TimerInfo] = []
    for each in (spec, *subprocess_specs.values()):
        _swap_timers(each)
        tasks, each_lanes, each_timers = _describe(each)
        other_timers.extend(each_timers)
        user_tasks.extend(tasks)
        lanes.extend(lane for lane in each_lanes if lane not in lanes)
        each_scripts, each_variables = _scripts(each)
        scripts.extend(each_scripts)
        variables |= each_variables
    bundle = {
        "spec": SERIALIZER.to_dict(spec),
        "subprocess_specs": {k: SERIALIZER.to_dict(v) for k, v in subprocess_specs.items()},
    }
    spec_json = json.dumps(bundle, ensure_ascii=False)
    name = parser.process_parsers[process_id].get_name() or process_id
    return ParsedProcess(
        process_id, name, spec_json, user_tasks, lanes, _start_lane(spec), scripts, variables,
        other_timers,
    )  # fmt: skip
