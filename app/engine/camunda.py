"""Reading a Camunda 7 diagram: what is converted, and what has no effect (said, not ignored).

Converted: ``camunda:formData`` (a generated form) into a JSON Schema form, and
``camunda:candidateGroups`` into the task's ``role`` where the district maps the group
(district setting ``camunda_group_roles``). ``camunda:properties`` and a ``camunda:formKey``
naming a JSON Schema are read by ``parser.adopt_camunda_conventions``. Every other Camunda
attribute or extension element is listed in one warning: the product runs none of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.engine.parser import BPMN_NS, CAMUNDA_NS, SPIFF_NS, merge_spiff_properties
from app.engine.problems import DefinitionProblem

FORM_PREFIX = "camunda-form:"  # the name of a form converted from camunda:formData
FORM_PROPERTY = "formJsonSchemaFilename"
READ_ATTRIBUTES = {"formKey", "candidateGroups"}  # formKey: only a .schema.json counts
READ_ELEMENTS = {
    "properties", "property", "formData", "formField", "validation", "constraint", "value",
}  # fmt: skip
FIELD_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "long": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "enum": {"type": "string"},
}


@dataclass
class CamundaReading:
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)  # converted, by form name
    roles: dict[str, str] = field(default_factory=dict)  # task id -> role (candidate groups)
    problems: list[DefinitionProblem] = field(default_factory=list)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _owner_id(node: Any) -> str:
    while node is not None:
        if node.get("id") and node.tag.startswith(f"{{{BPMN_NS}}}"):  # not a form field's id
            return str(node.get("id"))
        node = node.getparent()
    return ""


def _extensions(node: Any) -> Any:
    """The element's extensionElements, made after its documentation (the schema's order)."""
    found = node.find(f"{{{BPMN_NS}}}extensionElements")
    if found is None:
        found = node.makeelement(f"{{{BPMN_NS}}}extensionElements", {})
        docs = node.findall(f"{{{BPMN_NS}}}documentation")
        node.insert(node.index(docs[-1]) + 1 if docs else 0, found)
    return found


def _properties(node: Any) -> dict[str, str]:
    group = node.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties")
    if group is None:
        return {}
    return {p.get("name"): p.get("value") for p in group.findall(f"{{{SPIFF_NS}}}property")}


def form_schema(task: Any, form_data: Any) -> tuple[dict[str, Any], list[str]]:
    """The JSON Schema form of a ``camunda:formData``, and what could not be converted."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    lost: list[str] = []
    for form_field in form_data.findall(f"{{{CAMUNDA_NS}}}formField"):
        key = form_field.get("id") or ""
        kind = form_field.get("type") or "string"
        schema = dict(FIELD_TYPES.get(kind, {"type": "string"}))
        if kind not in FIELD_TYPES:
            lost.append(f"字段 {key} 的类型 {kind}（按文本处理）")
        schema["title"] = form_field.get("label") or key
        values = form_field.findall(f"{{{CAMUNDA_NS}}}value")
        if kind == "enum" and values:
            schema["enum"] = [v.get("id") or "" for v in values]
            schema["enumNames"] = [v.get("name") or v.get("id") or "" for v in values]
        default = form_field.get("defaultValue")
        if default is not None and "${" not in default:
            schema["default"] = _typed(default, schema["type"])
        for constraint in form_field.iterfind(f".//{{{CAMUNDA_NS}}}constraint"):
            name, config = constraint.get("name"), constraint.get("config")
            if name == "required":
                required.append(key)
            elif name in ("minlength", "maxlength") and (config or "").isdigit():
                schema["minLength" if name == "minlength" else "maxLength"] = int(config or 0)
            elif name in ("min", "max") and _number(config) is not None:
                schema["minimum" if name == "min" else "maximum"] = _number(config)
            elif name != "readonly":
                lost.append(f"字段 {key} 的校验 {name}")
        if key:
            properties[key] = schema
    title = task.get("name") or task.get("id") or ""
    form = {"type": "object", "title": title, "properties": properties, "required": required}
    return form, lost


def _typed(value: str, kind: str) -> Any:
    if kind == "integer":
        return int(value) if value.lstrip("-").isdigit() else value
    if kind == "boolean":
        return value.lower() == "true"
    return value


def _number(value: str | None) -> float | int | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


def adopt(root: Any, group_roles: Mapping[str, str]) -> CamundaReading:
    """Convert what the product can take from Camunda's extensions (changes ``root``) and
    say, in one warning, what it cannot."""
    reading = CamundaReading()
    ignored: list[str] = []
    for task in root.iter(f"{{{BPMN_NS}}}userTask"):
        form_data = task.find(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}formData")
        if form_data is not None and not _properties(task).get(FORM_PROPERTY):
            name = f"{FORM_PREFIX}{task.get('id')}"
            reading.forms[name], lost = form_schema(task, form_data)
            merge_spiff_properties(_extensions(task), [(FORM_PROPERTY, name)])
            ignored += [f"{item}（{task.get('id')}）" for item in lost]
        groups = [
            g.strip() for g in (task.get(f"{{{CAMUNDA_NS}}}candidateGroups") or "").split(",")
        ]
        roles = list(dict.fromkeys(group_roles[g] for g in groups if g in group_roles))
        if roles and not _properties(task).get("role"):
            merge_spiff_properties(_extensions(task), [("role", roles[0])])
            reading.roles[str(task.get("id"))] = roles[0]
            if len(roles) > 1:
                reading.problems.append(
                    DefinitionProblem(
                        str(task.get("id")),
                        f"候选组对应了多个角色（{'、'.join(roles)}）：任务只能有一个角色，"
                        f"取第一个“{roles[0]}”",
                        severity="warning",
                    )
                )
        elif groups != [""]:
            ignored.append(
                f"camunda:candidateGroups=“{'、'.join(groups)}”（{task.get('id')}，未配置对应角色）"
            )
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        for attribute in node.attrib:
            local = _local(attribute)
            if attribute.startswith(f"{{{CAMUNDA_NS}}}") and local not in READ_ATTRIBUTES:
                ignored.append(f"camunda:{local}（{_owner_id(node)}）")
            elif attribute == f"{{{CAMUNDA_NS}}}formKey" and not node.get(attribute, "").endswith(
                ".schema.json"
            ):
                ignored.append(f"camunda:formKey=“{node.get(attribute)}”（{_owner_id(node)}）")
        if node.tag.startswith(f"{{{CAMUNDA_NS}}}") and _local(node.tag) not in READ_ELEMENTS:
            ignored.append(f"camunda:{_local(node.tag)}（{_owner_id(node)}）")
    if ignored:
        process = next(root.iter(f"{{{BPMN_NS}}}process"), None)
        reading.problems.append(
            DefinitionProblem(
                str(process.get("id") or "") if process is not None else "",
                "以下 Camunda 设置在本产品中不起作用（本产品不运行 Java 类、表达式、监听器、"
                "到期日或指定办理人；办理人由泳道和 role 属性决定）："
                + "；".join(dict.fromkeys(ignored)),
                severity="warning",
            )
        )
    return reading
