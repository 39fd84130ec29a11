"""Starting any startable process; who may start is read from the start event's lane."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import case_numbers, inputs
from app.errors import Forbidden, InvalidInput
from app.models import ProcessDefinition, ProcessInstance
from app.services.actor import Actor
from app.services.design import definitions, routing
from app.services.execution import instances, lanes
from app.services.identity import org
from app.services.identity.permissions import Action, may
from app.services.uow import unit_of_work

RESERVED = {
    "lane_owners", "working_days", "calendar_days", "working_days_before", "day_end",
    "received", "submitted",
}  # fmt: skip
MAX_START_DATA = 16 * 1024
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


@dataclass
class Startable:
    process_id: str
    name: str
    version: int
    start_lane: str


def latest_definitions(session: Session) -> list[ProcessDefinition]:
    latest = (
        select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("v"))
        .group_by(ProcessDefinition.process_id)
        .subquery()
    )
    return list(
        session.scalars(
            select(ProcessDefinition)
            .join(
                latest,
                (latest.c.process_id == ProcessDefinition.process_id)
                & (latest.c.v == ProcessDefinition.version),
            )
            .order_by(ProcessDefinition.process_id)
        )
    )


def case_processes() -> frozenset[str]:
    """Processes started for a case (by registering it, by a court message, from the case
    page) or by the system, never from the generic start button: they need the data the
    routing table gives them (``case_bound`` there)."""
    return routing.current().case_processes()


def may_start(actor: Actor, definition: ProcessDefinition) -> bool:
    if not may(actor.role, Action.WORK) or definition.process_id in case_processes():
        return False
    kind = lanes.LANE_UNIT_KIND.get(definition.start_lane)
    return kind is not None and kind == actor.unit_kind


def startable(session: Session, actor: Actor) -> list[Startable]:
    return [
        Startable(d.process_id, d.name, d.version, d.start_lane)
        for d in latest_definitions(session)
        if may_start(actor, d)
    ]


def _clean(data: Any) -> dict[str, Any]:
    return clean_data(data, "启动数据")


def clean_data(data: Any, what: str) -> dict[str, Any]:
    """Flat data from outside (start data, a message's correlation or payload): named fields of
    text, numbers and booleans; every problem at once."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidInput(f"{what}须为对象", {"": ["应为对象"]})
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not _NAME.match(key) or key in RESERVED:
            errors[str(key)] = ["字段名不合法（字母开头，仅字母、数字、下划线；不可用保留名）"]
        elif not isinstance(value, str | int | float | bool | type(None)):
            errors[key] = ["只接受文本、数字、布尔值"]
        elif isinstance(value, str) and inputs.text_problem(value):
            errors[key] = [inputs.text_problem(value) or ""]
    if len(json.dumps(data, ensure_ascii=False)) > MAX_START_DATA:
        errors[""] = [f"{what}过大"]
    if errors:
        raise InvalidInput(f"{what}有误", errors)
    return case_numbers.in_data(dict(data))


@unit_of_work
def start(session: Session, actor: Actor, process_id: str, data: Any = None) -> ProcessInstance:
    definition = definitions.latest_definition(session, process_id)
    assert definition is not None
    if not may_start(actor, definition):
        raise Forbidden("您所在单位不能发起该流程")
    clean = _clean(data)
    if actor.unit_id is None:
        raise Forbidden("您不属于任何单位")
    unit = org.unit_by_id(session, actor.unit_id)
    clean["lane_owners"] = {definition.start_lane: unit.code}
    return instances.start(session, actor, definition, clean, unit_id=unit.id)
