"""Handling an incident: correct the failed step's data (with a reason), retry it, or move the
instance to a fixed version and retry there. Resolved only when it gets past the failure; a
retry that fails again changes nothing, and neither does a correction with any problem."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.engine import EngineError, correct_failed_steps
from app.engine.wording import shorten
from app.errors import Conflict, InvalidInput, NotFound
from app.models import Incident, ProcessInstance
from app.models.states import InstanceStatus
from app.services.actor import Actor
from app.services.design import instance_migration
from app.services.execution import holidays, incident_fields, projections
from app.services.execution.instances import forward_thrown, lock_instance
from app.services.execution.workflows import ENGINE, restore
from app.services.identity.permissions import Action, require
from app.services.records import audit
from app.services.uow import unit_of_work


@unit_of_work
def retry(
    session: Session,
    actor: Actor,
    incident_id: int,
    corrections: dict[str, Any] | None = None,
    reason: Any = None,
    kinds: dict[str, str] | None = None,
) -> Incident:
    """Run the failed step again, ``corrections`` merged into its data (a reason is required
    with them). Resolved when the instance gets past it."""
    incident, instance = _open(session, actor, incident_id)
    changed, detail = _checked(session, actor, incident, corrections, reason, kinds)
    with holidays.in_scope(session):
        _run_again(session, instance, changed)
    return _resolved(session, actor, incident, instance, detail)


@unit_of_work
def save_correction(
    session: Session,
    actor: Actor,
    incident_id: int,
    corrections: Any,
    reason: Any,
    kinds: dict[str, str] | None = None,
) -> Incident:
    """Store corrected data in the failed step without running it: the next retry (by anyone
    who may) runs with it. The incident stays open."""
    incident, instance = _open(session, actor, incident_id)
    changed, detail = _checked(session, actor, incident, corrections, reason, kinds, required=True)
    if not changed:
        raise InvalidInput("没有更改任何数据", {"": ["没有更改任何数据：请修改至少一个字段的值"]})
    with holidays.in_scope(session):
        workflow = restore(session, instance)
        correct_failed_steps(workflow, changed)
        projections.save(session, instance, workflow)
    audit.covers(session, instance)
    audit.record(
        session, actor, "incident.correct", instance_id=instance.id, case_id=instance.case_id,
        incident_id=incident.id, element_id=incident.element_id, **detail,
    )  # fmt: skip
    return incident


@unit_of_work
def migrate_and_retry(
    session: Session, actor: Actor, incident_id: int, to_version: int
) -> Incident:
    """Move the instance to ``to_version`` of its process and retry there, in one
    transaction: if either step fails, the instance stays where and as it was."""
    require(actor.role, Action.MIGRATE_INSTANCES)
    incident, instance = _open(session, actor, incident_id)
    from_version = instance.definition.version
    plan = instance_migration.migrate_one(
        session, actor, instance.process_id, to_version, instance.id
    )
    if not plan.migrated:
        reasons = plan.reasons or [f"不能迁移到 v{to_version}"]
        said = "；".join(reasons)
        raise InvalidInput(f"不能迁移到 v{to_version}：{said}", {"to_version": reasons})
    with holidays.in_scope(session):
        _run_again(session, instance, {})
    detail = {"from_version": from_version, "to_version": to_version}
    return _resolved(session, actor, incident, instance, detail)


def _open(session: Session, actor: Actor, incident_id: int) -> tuple[Incident, ProcessInstance]:
    require(actor.role, Action.RESOLVE_INCIDENTS)
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("故障记录不存在")
    if incident.resolved_at is not None:
        raise Conflict("该故障已处理")
    instance = lock_instance(session, incident.instance_id)
    if instance is None or instance.status != InstanceStatus.INCIDENT:
        raise Conflict("该流程实例不在故障状态")
    return incident, instance


def _checked(
    session: Session,
    actor: Actor,
    incident: Incident,
    corrections: Any,
    reason: Any,
    kinds: dict[str, str] | None = None,
    required: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The corrections that change something, and what the audit event says of them; every
    problem at once otherwise."""
    if corrections is None:
        corrections = {}
    if not corrections and not required:
        return {}, {"reason": reason.strip()} if isinstance(reason, str) and reason.strip() else {}
    fields = incident_fields.data_fields(session, actor, incident)
    errors = incident_fields.problems(
        actor, fields, corrections, "" if reason is None else reason, kinds
    )
    if errors:
        said = "；".join(m for ms in errors.values() for m in ms)
        raise InvalidInput(f"更正的数据有误，未保存：{said}", errors)
    changed = {k: v for k, v in corrections.items() if fields[k].missing or fields[k].value != v}
    named, unnamed = incident_fields.field_names(fields, list(changed))
    return changed, {
        "corrections": changed, "fields": named, "unnamed": unnamed,
        "reason": str(reason).strip(),
    }  # fmt: skip


def _run_again(session: Session, instance: ProcessInstance, corrections: dict[str, Any]) -> None:
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
    forward_thrown(session, instance, projections.save(session, instance, workflow))


def _resolved(
    session: Session,
    actor: Actor,
    incident: Incident,
    instance: ProcessInstance,
    detail: dict[str, Any],
) -> Incident:
    incident.resolved_at, incident.resolved_by = clock.now(), actor.username
    audit.covers(session, instance)
    audit.record(
        session, actor, "incident.retry", instance_id=instance.id, case_id=instance.case_id,
        incident_id=incident.id, element_id=incident.element_id,
        version=instance.definition.version, **{"corrections": {}, **detail},
    )  # fmt: skip
    return incident
