"""Retrying an incident: the failed step runs again, corrected data merged into its data (or
on the fixed version the instance was migrated to). Resolved only when it gets past."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.engine import EngineError
from app.engine.wording import shorten
from app.errors import Conflict, InvalidInput, NotFound
from app.models import Incident
from app.models.states import InstanceStatus
from app.services.actor import Actor
from app.services.execution import holidays, projections
from app.services.execution.instances import lock_instance
from app.services.execution.workflows import ENGINE, restore
from app.services.identity.permissions import Action, require
from app.services.records import audit
from app.services.uow import unit_of_work

MAX_CORRECTION_KEYS = 50


@unit_of_work
def retry(
    session: Session, actor: Actor, incident_id: int, corrections: dict[str, Any] | None = None
) -> Incident:
    """Run the failed step again, ``corrections`` merged into its data. Resolved when the
    instance gets past it; when it fails again, nothing changes and the refusal says why."""
    require(actor.role, Action.RESOLVE_INCIDENTS)
    corrections = _checked(corrections)
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("故障记录不存在")
    if incident.resolved_at is not None:
        raise Conflict("该故障已处理")
    instance = lock_instance(session, incident.instance_id)
    if instance is None or instance.status != InstanceStatus.INCIDENT:
        raise Conflict("该流程实例不在故障状态")
    with holidays.in_scope(session):
        workflow = restore(session, instance)
        try:
            ENGINE.retry(workflow, corrections)
        except EngineError as exc:
            raise InvalidInput(
                f"重试仍然失败：{exc.message}（环节 {exc.element_name or exc.element_id}）。"
                "请更正数据，或把实例迁移到修正后的版本后再试",
                {"detail": [shorten(str(exc), 300)]},
            ) from exc
        instance.status = InstanceStatus.RUNNING
        projections.save(session, instance, workflow)
    incident.resolved_at, incident.resolved_by = clock.now(), actor.username
    audit.covers(session, instance)
    audit.record(
        session, actor, "incident.retry", instance_id=instance.id, case_id=instance.case_id,
        incident_id=incident.id, element_id=incident.element_id,
        version=instance.definition.version, corrections=corrections,
    )  # fmt: skip
    return incident


def _checked(corrections: dict[str, Any] | None) -> dict[str, Any]:
    if corrections is None:
        return {}
    if not isinstance(corrections, dict) or len(corrections) > MAX_CORRECTION_KEYS:
        raise InvalidInput("更正的数据须为字段名到值的对象（最多 50 项）", {"data": ["取值有误"]})
    bad = [k for k in corrections if not isinstance(k, str) or not k.isidentifier() or k[0] == "_"]
    if bad:
        raise InvalidInput(
            "更正的字段名须为流程数据中的名字（字母、数字、下划线，不以下划线开头）",
            {"data": [f"无效的字段名：{'、'.join(map(str, bad[:5]))}"]},
        )
    return corrections
