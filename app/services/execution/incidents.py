"""Incidents: a run-time engine error stops its instance (never the request) until a process
owner retries it (``incident_retry``), after correcting the data or migrating the instance to a
fixed version.

Camunda's incidents are the model: the instance keeps the state the failure left (the failed
step in error), the incident says where, why and when, and a retry runs the failed step again.
Auditors see both in the instance's history (``instance.incident``, ``incident.retry``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.engine import EngineError
from app.engine.wording import shorten
from app.errors import NotFound
from app.models import Incident, ProcessDefinition, ProcessInstance
from app.models.states import InstanceStatus
from app.services.actor import Actor
from app.services.execution import incident_fields, projections
from app.services.identity.permissions import Action, may, require
from app.services.records import audit


def open_for(
    session: Session,
    instance: ProcessInstance,
    error: EngineError,
    actor: Actor | str = "system",
    store: bool = True,
) -> Incident:
    """Stop ``instance`` at the failure: store the workflow as the error left it (unless the
    caller just did), mark the instance, record the incident and its audit event (in the
    caller's transaction)."""
    if store and error.workflow is not None:
        projections.save(session, instance, error.workflow)
    instance.status = InstanceStatus.INCIDENT
    incident = Incident(
        instance_id=instance.id,
        element_id=error.element_id[:100],
        element_name=(error.element_name or error.element_id)[:200],
        message=error.message[:500],
        detail=shorten(str(error), 4000),
        occurred_at=clock.now(),
    )
    session.add(incident)
    session.flush()
    audit.covers(session, instance)
    audit.record(
        session, actor, "instance.incident", instance_id=instance.id, case_id=instance.case_id,
        incident_id=incident.id, element_id=incident.element_id, reason=incident.message,
        detail=incident.detail,
    )  # fmt: skip
    return incident


def open_incidents(session: Session, actor: Actor) -> list[Incident]:
    require(actor.role, Action.RESOLVE_INCIDENTS)
    return list(
        session.scalars(
            select(Incident).where(Incident.resolved_at.is_(None)).order_by(Incident.occurred_at)
        )
    )


def find(session: Session, actor: Actor, incident_id: int) -> Incident:
    require(actor.role, Action.RESOLVE_INCIDENTS)
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("故障记录不存在")
    return incident


def incident_json(incident: Incident) -> dict[str, Any]:
    instance = incident.instance
    return {
        "id": incident.id,
        "instance_id": incident.instance_id,
        "process_id": instance.process_id,
        "version": instance.definition.version,
        "element_id": incident.element_id,
        "element_name": incident.element_name,
        "message": incident.message,
        "detail": incident.detail,
        "occurred_at": incident.occurred_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "resolved_by": incident.resolved_by,
    }


@dataclass
class IncidentPage:
    """What a process owner handles an incident with: where and why it stopped, the failed
    step's data as fields, and the newer versions it may move to."""

    incident: dict[str, Any]
    fields: list[incident_fields.DataField]
    newer_versions: list[int]


def page(session: Session, actor: Actor, incident_id: int) -> IncidentPage:
    incident = find(session, actor, incident_id)
    if incident.resolved_at is not None:  # the instance has moved on: nothing to correct
        return IncidentPage(incident_json(incident), [], [])
    fields = incident_fields.data_fields(session, actor, incident)
    newer: list[int] = []
    if may(actor.role, Action.MIGRATE_INSTANCES):
        instance = incident.instance
        newer = list(
            session.scalars(
                select(ProcessDefinition.version)
                .where(
                    ProcessDefinition.process_id == instance.process_id,
                    ProcessDefinition.version > instance.definition.version,
                )
                .order_by(ProcessDefinition.version.desc())
            )
        )
    ordered = sorted(fields.values(), key=lambda f: (f.missing is False, f.label == "", f.name))
    return IncidentPage(incident_json(incident), ordered, newer)
