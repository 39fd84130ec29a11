"""Rules the service enforces whatever the diagram says (a hand-edited diagram cannot skip them).

行政执法监督: 作出重大执法决定之前未经法制审核或者审核未通过的，不得作出决定。
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict
from app.models import TaskRecord
from app.models.states import TaskStatus


@dataclass(frozen=True)
class ReviewGate:
    review_task: str
    field: str
    passed: str
    message: str


# (process id, task id) -> the review that must have passed, since the last draft change
GATES: dict[tuple[str, str], ReviewGate] = {
    ("major_enforcement_decision", "make_decision"): ReviewGate(
        "legal_review", "review_result", "passed",
        "未经法制审核或审核未通过，不得作出重大执法决定",
    ),
}  # fmt: skip
# tasks every deployed version of these processes must keep
REQUIRED_TASKS: dict[str, set[str]] = {
    "major_enforcement_decision": {"legal_review", "make_decision"},
}


def check(session: Session, process_id: str, task: TaskRecord) -> None:
    gate = GATES.get((process_id, task.bpmn_id))
    if gate is None:
        return
    done = list(
        session.scalars(
            select(TaskRecord)
            .where(
                TaskRecord.instance_id == task.instance_id,
                TaskRecord.status == TaskStatus.COMPLETED,
            )
            .order_by(TaskRecord.completed_at, TaskRecord.id)
        )
    )
    reviews = [i for i, t in enumerate(done) if t.bpmn_id == gate.review_task]
    if not reviews:
        raise Conflict(gate.message)
    last = reviews[-1]
    if (done[last].data or {}).get(gate.field) != gate.passed:
        raise Conflict(gate.message)
    # a draft changed after the review needs a new review
    if any(t.bpmn_id not in {gate.review_task, task.bpmn_id} for t in done[last + 1 :]):
        raise Conflict(gate.message + "（审核后材料又有修改，须重新审核）")
