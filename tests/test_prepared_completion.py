"""A completion prepared before its write transaction (``completion.prepare_completion``)
is used only while nothing it depends on has changed; otherwise the write runs it again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import Forbidden, InvalidInput
from app.models import AuditEvent, TaskRecord
from app.services.execution import assignment, completion
from tests.helpers import FORM_DATA, actor, co_defendant_reviews, open_task, register, step
from tests.samples import PathData, load

pytestmark = pytest.mark.both_databases


def _prepare(db, username: str, task_id: int, data: dict) -> completion.Prepared | None:  # type: ignore[no-untyped-def]
    with db.read() as session:
        return completion.prepare_completion(session, actor(db, username), task_id, data)


def _complete(db, username: str, task_id: int, data: dict, prepared) -> None:  # type: ignore[no-untyped-def]
    with db.write() as session:
        completion.complete_task(session, actor(db, username), task_id, data, prepared=prepared)


def test_a_prepared_completion_is_run_again_after_another_writer_moved_the_instance(db):
    """Unit A's review is prepared; unit B's review commits first. A's write must not store the
    state it prepared (which lacks B's review): it runs again and both units move on."""
    first, second = co_defendant_reviews(db, "（2026）苏0813行初7号")
    who = {r.id: ("gtzy" if r.unit.code == "GTZY" else "scjg") for r in (first, second)}
    data = PathData(load("loss_review")["paths"]["single_unit"]).next("write_review")
    prepared = _prepare(db, who[first.id], first.id, dict(data))
    assert prepared is not None

    _complete(db, who[second.id], second.id, dict(data), None)
    _complete(db, who[first.id], first.id, dict(data), prepared)

    with db.read() as session:
        approvals = list(
            session.scalars(select(TaskRecord).where(TaskRecord.bpmn_id == "approve_review"))
        )
        done = list(
            session.scalars(select(TaskRecord.status).where(TaskRecord.bpmn_id == "write_review"))
        )
    assert sorted(a.unit.code for a in approvals) == ["GTZY", "SCJG"]
    assert done == ["completed", "completed"]


def test_a_prepared_completion_is_used_when_nothing_changed(db):
    instance_id = register(db)
    task = open_task(db, instance_id)
    data = FORM_DATA["register_materials"]
    prepared = _prepare(db, "center", task.id, dict(data))
    assert prepared is not None
    _complete(db, "center", task.id, dict(data), prepared)
    nxt = open_task(db, instance_id)
    assert nxt.bpmn_id == "agency_reply" and nxt.due_at is not None
    with db.read() as session:
        events = list(
            session.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id))
        )
    assert events.count("task.complete") == 1


def test_a_task_given_to_someone_else_after_the_prepare_is_refused(db):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    task = open_task(db, instance_id)
    data = FORM_DATA["agency_reply"]
    prepared = _prepare(db, "gtzy", task.id, dict(data))
    assert prepared is not None
    with db.write() as session:  # the head gives it to the reviewer meanwhile
        assignment.reassign.within(
            session, actor(db, "gtzy_head"), task.id, "gtzy_reviewer", "熟悉案情"
        )
    with pytest.raises(Forbidden):
        _complete(db, "gtzy", task.id, dict(data), prepared)
    assert open_task(db, instance_id).status == "open"
    _complete(db, "gtzy_reviewer", task.id, dict(data), None)
    assert open_task(db, instance_id).bpmn_id != "agency_reply"


def test_an_invalid_submission_is_refused_by_the_prepare_and_changes_nothing(db):
    instance_id = register(db)
    task = open_task(db, instance_id)
    with pytest.raises(InvalidInput) as refused:
        _prepare(db, "center", task.id, {"materials_received_on": "昨天"})
    assert refused.value.errors
    still = open_task(db, instance_id)
    assert (still.id, still.status) == (task.id, "open")


def test_a_step_after_another_process_wrote_the_instance_builds_on_what_it_wrote(db):
    """This process keeps the workflows it stored last for their next step. When another
    process (a server worker, the CLI) moved the instance on in between, the kept one is out
    of date and is not used: no step is lost."""
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")  # this process keeps it
    reply = open_task(db, instance_id)
    assert reply.bpmn_id == "agency_reply"
    subprocess.run(  # another process completes the agency's reply
        [sys.executable, "-m", "tests.drivers", "step", str(reply.id)],
        cwd=Path(__file__).resolve().parent.parent, env=dict(os.environ), check=True,
    )  # fmt: skip
    step(db, instance_id, "center", "schedule_mediation")
    assert open_task(db, instance_id).bpmn_id == "record_outcome"
    with db.read() as session:
        done = list(
            session.scalars(
                select(TaskRecord.bpmn_id)
                .where(TaskRecord.instance_id == instance_id)
                .where(TaskRecord.status == "completed")
                .order_by(TaskRecord.id)
            )
        )
    assert done == ["register_materials", "agency_reply", "schedule_mediation"]
