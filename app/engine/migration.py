"""Moving a running workflow onto a newer version of its definition (SpiffWorkflow's diff).

Tasks are aligned with the new spec by BPMN id; the tasks that are ready or waiting are reset
and predicted again, so a changed deadline expression is evaluated anew from the same data.
A waiting timer whose expression did not change keeps its deadline (and any 中止/延长 on it).
What cannot be aligned safely is refused with the reasons, and nothing is changed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from app.clocks import Clock
from app.engine.runtime import Engine, EngineError, _restore_spec
from app.engine.serializer import SERIALIZER
from app.engine.timers import CLOCK_KEY, RECEIVED_KEY, apply_clock, evaluate_clock

RUNNING = TaskState.READY | TaskState.WAITING | TaskState.STARTED
HAPPENED = TaskState.COMPLETED | TaskState.CANCELLED | TaskState.ERROR
KEPT_TIMER_DATA = ("event_value", "provisional", "explanation", "suspended", CLOCK_KEY)


class MigrationRefused(ValueError):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("；".join(reasons))
        self.reasons = reasons


def _label(task: Any) -> str:
    spec = task.task_spec
    return str(getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name)


def _blockers(diff: WorkflowDiff, spec_diff: SpecDiff, prefix: str = "") -> list[str]:
    reasons = []
    for task in diff.removed:
        if task.state & RUNNING:
            reasons.append(f"{prefix}进行中的环节“{_label(task)}”在新版本中已删除")
        elif task.state & HAPPENED:
            reasons.append(f"{prefix}已经过的环节“{_label(task)}”在新版本中已删除，历史无法对应")
    for task in diff.changed:
        if task.state & RUNNING and "typename" in spec_diff.changed.get(task.task_spec, []):
            reasons.append(f"{prefix}进行中的环节“{_label(task)}”在新版本中改变了类型")
    return reasons


def _waiting_timers(workflow: BpmnWorkflow) -> dict[Any, tuple[str, dict[str, Any]]]:
    """Waiting timer task id -> (expression, the internal data that holds its deadline)."""
    found = {}
    for task in workflow.get_tasks(state=TaskState.WAITING, spec_class=CatchingEvent):
        definition = task.task_spec.event_definition
        if isinstance(definition, TimerEventDefinition):
            kept = {k: task.internal_data[k] for k in KEPT_TIMER_DATA if k in task.internal_data}
            found[task.id] = (definition.expression, kept)
    return found


def migrate(engine: Engine, old_spec_json: str, state: str, new_spec_json: str) -> BpmnWorkflow:
    """The workflow in ``state`` moved onto the new spec; raises MigrationRefused."""
    workflow = engine.load(old_spec_json, state)
    spec, dependencies = _restore_spec(new_spec_json)
    before = _waiting_timers(workflow)
    received = {  # when each open task reached its unit: a reset would forget it
        t.id: t.internal_data[RECEIVED_KEY]
        for t in workflow.get_tasks(state=TaskState.READY, manual=True)
        if RECEIVED_KEY in t.internal_data
    }
    registry = SERIALIZER.registry
    top_spec = SpecDiff(registry, workflow.spec, spec)
    top = WorkflowDiff(workflow, top_spec)
    reasons = _blockers(top, top_spec)
    sub_diffs: dict[Any, WorkflowDiff] = {}
    for sp_id, subprocess in workflow.subprocesses.items():
        name = subprocess.spec.name
        if name not in dependencies:
            if not subprocess.completed:
                reasons.append(f"调用的子流程 {name} 在新版本中不再存在")
            continue
        sp_spec = SpecDiff(registry, subprocess.spec, dependencies[name])
        sub_diffs[sp_id] = WorkflowDiff(subprocess, sp_spec)
        reasons.extend(_blockers(sub_diffs[sp_id], sp_spec, f"子流程 {name}："))
    if reasons:
        raise MigrationRefused(reasons)
    migrate_workflow(top, workflow, spec)
    for sp_id, sp_diff in sub_diffs.items():
        subprocess = workflow.subprocesses[sp_id]
        migrate_workflow(sp_diff, subprocess, dependencies[subprocess.spec.name])
    workflow.subprocess_specs = dependencies
    for task_id, event in received.items():
        task = workflow.tasks.get(task_id)
        if task is not None:
            task._set_internal_data(**{RECEIVED_KEY: event})
    suspended = []
    changed: list[tuple[Any, list[dict[str, Any]]]] = []
    for task in workflow.get_tasks(state=TaskState.WAITING, spec_class=CatchingEvent):
        old = before.get(task.id)
        definition = task.task_spec.event_definition
        if old and isinstance(definition, TimerEventDefinition):
            expression, kept = old
            if expression == definition.expression:
                task.internal_data.update(kept)
            elif "suspended" in kept:
                suspended.append(
                    f"期限“{_label(task)}”已中止，而新版本改变了它的规则：请先恢复期限"
                )
            else:  # the new rule, from the same start, with what was done to the old one
                changes = Clock.from_dict(kept[CLOCK_KEY]).changes if CLOCK_KEY in kept else []
                changed.append((task, changes))
    if suspended:
        raise MigrationRefused(suspended)
    try:
        for task, changes in changed:
            clock = evaluate_clock(task, task.task_spec.event_definition.expression)
            apply_clock(task, replace(clock, changes=changes))
        engine.advance(workflow)
        # prove the migrated state restores under the new spec before anyone stores it
        restored = engine.load(new_spec_json, engine.dump(workflow))
    except (EngineError, SpiffWorkflowException, KeyError, TypeError, ValueError) as exc:
        raise MigrationRefused([f"迁移后的流程状态无法在新版本中恢复：{exc}"]) from exc
    return restored
