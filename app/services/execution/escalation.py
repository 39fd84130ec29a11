"""催办 (chasing) items a fired deadline raises: ``escalate_to`` on its timer names who."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app import clock
from app.engine import TimerState
from app.errors import ServiceError
from app.models import Case, ProcessInstance, Reminder, TaskRecord, Unit
from app.services.identity import org
from app.services.records import audit

ESCALATION_TARGETS = {"center": ("center", None), "bureau": ("bureau", None)}


def escalate(
    session: Session, instance: ProcessInstance, timer: TimerState, host: TaskRecord | None
) -> None:
    """Raise the 催办 items a fired deadline asks for (``escalate_to`` on the timer)."""
    targets = [t.strip() for t in timer.properties.get("escalate_to", "").split(",") if t.strip()]
    due = clock.to_local(timer.due_at).date().isoformat() if timer.due_at else ""
    subject = f"“{host.name}”" if host else f"“{timer.name}”"
    message = f"{subject}已超过期限（{due}），请督促办理"
    created = []
    for target in targets:
        unit: Unit | None
        role: str | None = None
        if target == "agency_head":
            role = "agency_head"
            unit = host.unit if host and host.unit and host.unit.kind == "agency" else None
            if unit is None and instance.case_id is not None:
                case = session.get(Case, instance.case_id)
                unit = case.agency if case else None
        elif target in ESCALATION_TARGETS:
            try:
                unit = org.unit_of_kind(session, ESCALATION_TARGETS[target][0])
            except ServiceError:
                unit = None
        else:
            unit = None
        if unit is None:
            continue
        session.add(
            Reminder(
                instance_id=instance.id,
                task_record_id=host.id if host else None,
                unit_id=unit.id,
                role=role,
                message=message,
                created_at=clock.now(),
            )
        )
        created.append(f"{unit.code}:{role or '*'}")
    audit.record(
        session, "system", "timer.fired", instance_id=instance.id, case_id=instance.case_id,
        timer=timer.bpmn_id, due_at=timer.due_at, reminders=created,
    )  # fmt: skip
