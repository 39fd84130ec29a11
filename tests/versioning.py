"""Deploying edited variants of the shipped diagrams and forms (for version and migration tests)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.db import Database
from app.services.design import definitions
from tests.helpers import actor

ROOT = Path(__file__).resolve().parent.parent
MEDIATION = "pre_litigation_mediation"
REPLY_DEADLINE = "working_days(received(), 3)"


def shipped(process_id: str) -> str:
    return (ROOT / "processes" / f"{process_id}.bpmn").read_text(encoding="utf-8")


def deploy_xml(
    db: Database, xml: str, forms_dir: Path = ROOT / "forms", comment: str = "改版"
) -> int:
    with db.write() as session:
        definition = definitions.deploy(
            session, actor(db, "owner"), xml.encode("utf-8"), forms_dir, "upload.bpmn", comment
        )
        return definition.version


def deploy_variant(db: Database, process_id: str, edit: Callable[[str], str], **kw: Any) -> int:
    xml = shipped(process_id)
    changed = edit(xml)
    assert changed != xml, "the edit changed nothing"
    return deploy_xml(db, changed, **kw)


def reply_in(days: int) -> Callable[[str], str]:
    return lambda xml: xml.replace(REPLY_DEADLINE, f"working_days(received(), {days})")


def as_manual_task(task_id: str) -> Callable[[str], str]:
    """The user task becomes a manual task (a change of type)."""

    def edit(xml: str) -> str:
        pattern = re.compile(rf'<bpmn:userTask id="{task_id}"(.*?)</bpmn:userTask>', re.S)
        return pattern.sub(rf'<bpmn:manualTask id="{task_id}"\1</bpmn:manualTask>', xml)

    return edit


def forms_with(tmp_path: Path, form: str, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of forms/ with one schema changed."""
    folder = tmp_path / "forms"
    shutil.copytree(ROOT / "forms", folder)
    path = folder / form
    schema = json.loads(path.read_text(encoding="utf-8"))
    change(schema)
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    return folder
