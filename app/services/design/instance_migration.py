"""Moving running instances onto a newer version of their process, after a dry run.

The dry run performs the migration on a copy of each instance's state and reports what would
change; ``apply`` does the same again, for real, one write transaction per instance, so one
instance that cannot move (or changed meanwhile) never holds back or undoes the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.db import Database
from app.engine import MigrationRefused, migrate
from app.errors import ServiceError
from app.models import ProcessDefinition, ProcessInstance, TaskRecord
from app.models.states import InstanceStatus, TaskStatus
from app.services.actor import Actor
from app.services.design import versions
from app.services.execution import holidays, instances, lanes, projections
from app.services.identity.permissions import Action, require
from app.services.records import audit


@dataclass
class InstancePlan:
    instance_id: int
    summary: str
    from_version: int
    to_version: int
    can_migrate: bool
    reasons: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    migrated: bool = False


# an instance stopped by an incident may move to a fixed version, then be retried there
MOVABLE = (InstanceStatus.RUNNING, InstanceStatus.INCIDENT)


def eligible(session: Session, process_id: str, to_version: int) -> list[ProcessInstance]:
    """Running (or incident-stopped) instances of the process on a version older than
    ``to_version``."""
    return list(
        session.scalars(
            select(ProcessInstance)
            .join(ProcessDefinition, ProcessInstance.definition_id == ProcessDefinition.id)
            .where(
                ProcessInstance.process_id == process_id,
                ProcessInstance.status.in_(MOVABLE),
                ProcessDefinition.version < to_version,
            )
            .order_by(ProcessInstance.id)
        )
    )


def dry_run(
    session: Session, process_id: str, to_version: int, instance_ids: list[int] | None = None
) -> list[InstancePlan]:
    """Per running instance on an older version: can it move, and what would change."""
    target = versions.definition(session, process_id, to_version)
    plans = []
    for instance in eligible(session, process_id, to_version):
        if instance_ids is None or instance.id in instance_ids:
            plans.append(_plan(session, instance, target)[0])
    return plans


def apply(
    database: Database, actor: Actor, process_id: str, to_version: int, instance_ids: list[int]
) -> list[InstancePlan]:
    """Migrate each chosen instance that can move, each in its own transaction."""
    require(actor.role, Action.MIGRATE_INSTANCES)
    with database.read() as session:
        versions.definition(session, process_id, to_version)  # NotFound before anything else
    results = []
    for instance_id in dict.fromkeys(instance_ids):
        try:
            with database.write() as session:
                results.append(migrate_one(session, actor, process_id, to_version, instance_id))
        except ServiceError as exc:  # e.g. a concurrent writer: this one is left as it was
            results.append(
                InstancePlan(instance_id, "", 0, to_version, False, [exc.message])
            )  # fmt: skip
    return results


def migrate_one(
    session: Session, actor: Actor, process_id: str, to_version: int, instance_id: int
) -> InstancePlan:
    """Migrate one instance in the caller's transaction (``migrated`` says whether it moved);
    the caller has checked who may."""
    target = versions.definition(session, process_id, to_version)
    instance = instances.lock_instance(session, instance_id)  # queue behind its other writers
    if (
        instance is None
        or instance.process_id != process_id
        or instance.status not in MOVABLE
        or instance.definition.version >= to_version
    ):
        return InstancePlan(
            instance_id, instance.summary if instance else "", 0, to_version, False,
            [f"不是在 v{to_version} 之前版本上运行中的“{process_id}”实例"],
        )  # fmt: skip
    plan, workflow = _plan(session, instance, target)
    if workflow is None:
        return plan
    with holidays.in_scope(session):
        instance.definition_id, instance.definition = target.id, target
        _refresh_open_tasks(session, instance, workflow)
        projections.save(session, instance, workflow)
    audit.record(
        session, actor, "instance.migrate", instance_id=instance.id, case_id=instance.case_id,
        process_id=process_id, from_version=plan.from_version, to_version=to_version,
        changes=plan.changes,
    )  # fmt: skip
    plan.migrated = True
    return plan


def _plan(
    session: Session, instance: ProcessInstance, target: ProcessDefinition
) -> tuple[InstancePlan, Any]:
    source = instance.definition
    plan = InstancePlan(instance.id, instance.summary, source.version, target.version, True)
    engine = instances.ENGINE
    with holidays.in_scope(session):
        before = engine.load(source.spec_json, instance.state)
        try:
            after = migrate(engine, source.spec_json, instance.state, target.spec_json)
        except MigrationRefused as exc:
            plan.can_migrate, plan.reasons = False, exc.reasons
            return plan, None
        plan.reasons = _unowned_lanes(session, engine, before, after)
        if plan.reasons:
            plan.can_migrate = False
            return plan, None
        plan.changes = _what_changes(engine, before, after, source, target)
    return plan, after


def _unowned_lanes(session: Session, engine: Any, before: Any, after: Any) -> list[str]:
    """Open tasks that would move to a lane no unit owns in this instance."""
    old_lanes = {t.spiff_id: t.lane for t in engine.ready_user_tasks(before)}
    reasons = []
    for task in engine.ready_user_tasks(after):
        if old_lanes.get(task.spiff_id) == task.lane:
            continue
        try:
            lanes.owner(session, task.lane, engine.task_data(after, task.spiff_id))
        except ServiceError as exc:
            reasons.append(f"待办“{task.name}”将移到泳道“{task.lane}”：{exc.message}")
    return reasons


def _what_changes(
    engine: Any, before: Any, after: Any, source: ProcessDefinition, target: ProcessDefinition
) -> list[str]:
    lines: list[str] = []
    old_tasks = {t.spiff_id: t for t in engine.ready_user_tasks(before)}
    new_tasks = {t.spiff_id: t for t in engine.ready_user_tasks(after)}
    for spiff_id, task in old_tasks.items():
        if spiff_id not in new_tasks:
            lines.append(f"待办“{task.name}”将取消")
    for spiff_id, task in new_tasks.items():
        old = old_tasks.get(spiff_id)
        if old is None:
            lines.append(f"将新增待办“{task.name}”（{task.lane}）")
            continue
        if old.name != task.name:
            lines.append(f"待办名称：{old.name} → {task.name}")
        if old.lane != task.lane:
            lines.append(f"待办“{task.name}”的泳道：{old.lane} → {task.lane}")
        form_old = old.properties.get(versions.FORM_PROPERTY, "")
        form_new = task.properties.get(versions.FORM_PROPERTY, "")
        if form_old != form_new:
            lines.append(f"待办“{task.name}”的表单：{form_old} → {form_new}")
        for line in versions.form_changes(source.forms.get(form_old), target.forms.get(form_new)):
            lines.append(f"待办“{task.name}”{line}")
    old_timers = {t.spiff_id: t for t in engine.timers(before) if t.state == "waiting"}
    new_timers = {t.spiff_id: t for t in engine.timers(after) if t.state == "waiting"}
    for spiff_id, timer in new_timers.items():
        old_timer = old_timers.get(spiff_id)
        if old_timer is None:
            lines.append(f"新增期限“{timer.name}”：{_day(timer.due_at)}")
        elif old_timer.due_at != timer.due_at:
            lines.append(
                f"期限“{timer.name}”重新计算：{_day(old_timer.due_at)} → {_day(timer.due_at)}"
                + (f"（{timer.explanation}）" if timer.explanation else "")
            )
    for spiff_id, timer in old_timers.items():
        if spiff_id not in new_timers:
            lines.append(f"期限“{timer.name}”将取消")
    return lines or ["进行中的环节不受影响（仅流程定义更新）"]


def _day(value: Any) -> str:
    return clock.to_local(value).date().isoformat() if value else "（无）"


def _refresh_open_tasks(session: Session, instance: ProcessInstance, workflow: Any) -> None:
    """Open inbox rows take the new version's name, form, lane and role for their task."""
    ready = {t.spiff_id: t for t in instances.ENGINE.ready_user_tasks(workflow)}
    for row in session.scalars(
        select(TaskRecord).where(
            TaskRecord.instance_id == instance.id, TaskRecord.status == TaskStatus.OPEN
        )
    ):
        task = ready.get(row.spiff_task_id)
        if task is None:
            continue  # projections.sync cancels it
        row.name = task.name
        row.form = task.properties.get(versions.FORM_PROPERTY)
        row.role = task.properties.get("role") or None
        if row.lane != task.lane:
            data = instances.ENGINE.task_data(workflow, task.spiff_id)
            row.lane, row.unit_id = task.lane, lanes.owner(session, task.lane, data).id
