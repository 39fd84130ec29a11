"""The user-task property ``context``: which earlier tasks' submissions a task shows above its
form (``app.services.reporting.task_context`` shows them; ``definition_rules`` checks them).

Comma-separated ids of earlier user tasks of the same process (every round of each), or
``task_id.field`` for one field of a task's form, e.g.
``submit_matter,amend_matter,reviewer_opinion.required_changes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CONTEXT_PROPERTY = "context"


@dataclass(frozen=True)
class ContextEntry:
    task_id: str  # an earlier user task's bpmn id
    field: str | None = None  # one field of its form; None: the whole submission


def parse_context(value: str) -> list[ContextEntry]:
    entries = []
    for part in value.split(","):
        name = part.strip()
        if not name:
            continue
        task_id, _, field_name = name.partition(".")
        entries.append(ContextEntry(task_id.strip(), field_name.strip() or None))
    return entries


def context_problems(
    value: str, task_ids: Iterable[str], fields_of: Mapping[str, set[str] | None]
) -> list[str]:
    """What is wrong with a ``context`` value: unknown task ids, unknown fields of a task's form
    (``fields_of``: task id -> its form's fields, None when the form cannot be read)."""
    known = set(task_ids)
    problems = []
    for entry in parse_context(value):
        if entry.task_id not in known:
            problems.append(
                f"上下文引用了不存在的用户任务：{entry.task_id}（可用：{'、'.join(sorted(known))}）"
            )
            continue
        names = fields_of.get(entry.task_id)
        if entry.field and names is not None and entry.field not in names:
            problems.append(f"上下文引用了任务 {entry.task_id} 的表单中没有的字段：{entry.field}")
    return problems
