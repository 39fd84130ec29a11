"""Keep a stored workflow as small as what can still happen, not as long as its history.

SpiffWorkflow keeps every task it ever ran in the task tree, so the serialized state (and the
cost of every load and dump) grows with each step: a looping process with 200 completed steps
costs ten times a young one. What a finished task said is already kept elsewhere (task
records, audit events, documents); the engine only needs the part of the tree that can still
change. ``compact`` cuts the rest out of the serialized dict (the live workflow object is left
untouched) and returns the diagram elements of the completed tasks it removed, so the viewer
can still colour them.

Kept, per workflow and subprocess:
- the root, the last completed task, every unfinished task, its parent (whose data it
  inherits when it becomes ready) and every descendant of an unfinished task (finished
  instances of a running multi-instance or loop task);
- for an unfinished join with a split (boundary events, several start events): the split and
  its children, whose states the join reads;
- for a parallel or inclusive gateway: the branches that arrived and wait for the others
  (finished join tasks with no completed join after them) and the tasks they came from; the
  same holds for the process end, so a branch that ended early (a non-interrupting deadline's
  path to its own end event) stays until the process ends, which merges its data;
- subprocesses whose calling task is kept.
A kept task whose parent is removed hangs from its nearest kept ancestor and stores its data
whole instead of as a delta, so ancestry between kept tasks is unchanged.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from app.engine.serializer import parse_task_id


def compact(workflow: BpmnWorkflow, dct: dict[str, Any], registry: Any) -> set[str]:
    """Remove finished history from ``dct`` (``SERIALIZER.to_dict(workflow)``) in place.

    Returns the BPMN ids of the completed tasks removed. ``registry`` converts task data the
    way the serializer does.
    """
    done: set[str] = set()
    kept_all: set[UUID] = set()
    kept = _kept(workflow)
    kept_all |= kept
    _contract(workflow, dct, kept, registry, done)
    subprocesses = dct.get("subprocesses", {})
    for sp_id, sp in sorted(workflow.subprocesses.items(), key=lambda item: item[1].depth):
        sp_dct = subprocesses.get(str(sp_id))
        if sp_dct is None:
            continue
        if sp.parent_task_id not in kept_all:
            done |= _completed_ids(sp.tasks.values())
            del subprocesses[str(sp_id)]
            continue
        kept = _kept(sp)
        kept_all |= kept
        _contract(sp, sp_dct, kept, registry, done)
    return done


def _kept(workflow: Any) -> set[UUID]:
    tasks: dict[UUID, Task] = workflow.tasks
    keep: set[UUID] = {workflow.task_tree.id}
    last = workflow.last_task
    if last is not None and last.id in tasks:
        keep.add(last.id)
    unfinished = [t for t in tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    for task in unfinished:
        if task._parent is not None:
            keep.add(task._parent)
        split = getattr(task.task_spec, "split_task", None)
        if split:
            ancestor = task.find_ancestor(split)
            if ancestor is not None:
                keep.add(ancestor.id)
                keep.update(ancestor._children)
    seen: set[UUID] = set()
    stack = unfinished
    while stack:  # unfinished tasks and all their descendants
        task = stack.pop()
        if task.id in seen:
            continue
        seen.add(task.id)
        stack.extend(tasks[c] for c in task._children if c in tasks)
    keep |= seen
    keep |= _waiting_branches(tasks)
    return keep


def _waiting_branches(tasks: dict[UUID, Task]) -> set[UUID]:
    """Arrived join branches that the next firing of their join will still merge."""
    fired: dict[str, float] = {}
    arrived: list[Task] = []
    for task in tasks.values():
        if not isinstance(task.task_spec, UnstructuredJoin):
            continue
        if task.state == TaskState.COMPLETED:
            name = task.task_spec.name
            fired[name] = max(fired.get(name, 0.0), task.last_state_change)
        elif task.has_state(TaskState.FINISHED_MASK):
            arrived.append(task)
    keep: set[UUID] = set()
    for task in arrived:
        if task.last_state_change > fired.get(task.task_spec.name, float("-inf")):
            keep.add(task.id)
            if task._parent is not None:
                keep.add(task._parent)
    return keep


def _contract(
    workflow: Any, dct: dict[str, Any], keep: set[UUID], registry: Any, done: set[str]
) -> None:
    tasks: dict[UUID, Task] = workflow.tasks
    if len(keep) >= len(tasks):
        return
    serialized: dict[str, Any] = dct["tasks"]
    kept_dct: dict[str, Any] = {}
    for key, task_dct in serialized.items():
        task = tasks[parse_task_id(key)]
        if task.id not in keep:
            if task.state == TaskState.COMPLETED:
                done |= _completed_ids([task])
            continue
        kept_dct[key] = task_dct
        task_dct["children"] = [str(c) for c in _kept_children(tasks, task, keep)]
        parent = task.parent
        if parent is None or parent.id in keep:
            continue
        while parent is not None and parent.id not in keep:
            parent = parent.parent
        task_dct["parent"] = str(parent.id) if parent is not None else None
        task_dct["data"] = registry.convert(task.data)  # whole: its delta's base is gone
        task_dct["delta"] = {}
    dct["tasks"] = kept_dct


def _kept_children(tasks: dict[UUID, Task], task: Task, keep: set[UUID]) -> list[UUID]:
    """The nearest kept descendants, in tree order (iterative: removed chains can be long)."""
    found: list[UUID] = []
    pending = list(reversed(task._children))
    while pending:
        child_id = pending.pop()
        if child_id in keep:
            found.append(child_id)
        elif child_id in tasks:
            pending.extend(reversed(tasks[child_id]._children))
    return found


def _completed_ids(tasks: Any) -> set[str]:
    return {
        bpmn_id
        for task in tasks
        if task.state == TaskState.COMPLETED
        and (bpmn_id := getattr(task.task_spec, "bpmn_id", None))
    }
