"""A file whose process id is a modeler's default (``Process_1``, ``Process_0x9d1lf``,
``main``) and whose content is unrelated to the deployed process of that id is not taken as its
new version unless the owner confirms: two diagrams drawn from a blank canvas share the id."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine import (
    BpmnDefinitionError,
    DefinitionProblem,
    executable_process_ids,
    flow_element_ids,
)
from app.models import ProcessDefinition

GENERIC = re.compile(r"^(Process_[0-9a-z]{1,8}|Process|process|main|Main|Process_\d+)$")
RELATED = 0.5  # share at least half of their elements (ids), counted over both
CONFIRM = "CONFIRM_VERSION"


def problem(session: Session, content: bytes) -> DefinitionProblem | None:
    """The refusal of ``content`` as a new version of an unrelated process, or None."""
    try:
        ids = executable_process_ids(content)
    except BpmnDefinitionError:
        return None
    if len(ids) != 1 or not GENERIC.match(ids[0]):
        return None
    process_id = ids[0]
    latest = session.scalar(
        select(ProcessDefinition)
        .where(ProcessDefinition.process_id == process_id)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )
    if latest is None:
        return None
    new = flow_element_ids(content, process_id)
    old = flow_element_ids(latest.bpmn_xml.encode("utf-8"), process_id)
    shared = len(new & old)
    if new and old and shared / len(new | old) >= RELATED:
        return None
    return DefinitionProblem(
        process_id,
        f"流程 ID“{process_id}”是建模工具的默认 ID，已部署的同 ID 流程“{latest.name}”"
        f"（v{latest.version}）与此文件内容无关（{len(new)} 个元素中只有 {shared} 个相同）。"
        "若此文件确是它的新版本，请确认后再上传（confirm_new_version=true）；"
        "否则请在建模工具中把流程 ID 改为有意义的名字",
        code=CONFIRM,
    )
