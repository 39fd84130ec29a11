"""Rules the text does not set are labelled as local rules; 督办 goes to who supervises
(issue 17 point 7)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import Notification, TaskRecord, User
from app.services.execution import timer_pass
from tests.helpers import open_task, register, step
from tests.samples import PathData, load
from tests.test_mechanisms_service import complete, start
from tests.test_web import login

pytestmark = pytest.mark.both_databases


def _adviser_task(db, settings) -> TaskRecord:
    instance_id = start(db, "legality_review", "gtzy")
    data = PathData(load("legality_review")["paths"]["legal_directly"])
    complete(db, settings, "gtzy", open_task(db, instance_id).id, data.next("submit_matter"))
    task = open_task(db, instance_id)
    assert task.bpmn_id == "adviser_review"
    return task


def test_a_local_deadline_says_so_on_the_task_and_a_text_deadline_says_whose(client, db, settings):
    adviser = _adviser_task(db, settings)
    assert adviser.due_basis == "local"
    login(client, "gtzy_lawyer")
    page = client.get(f"/tasks/{adviser.id}").get_data(as_text=True)
    assert 'id="deadline-basis"' in page and "本地规则" in page
    mediation = register(db)
    step(db, mediation, "center", "register_materials")
    reply = open_task(db, mediation)
    login(client, "gtzy")
    page = client.get(f"/tasks/{reply.id}").get_data(as_text=True)
    assert "《十项机制》规定" in page


def test_escalation_in_mechanism_1_goes_to_the_bureau_not_the_center(db, settings, clock):
    adviser = _adviser_task(db, settings)
    clock.set("2026-10-20T09:00:01+08:00")  # well past the 5 working days and the next day
    timer_pass.run_pass(db)
    with db.read() as session:
        escalated = set(
            session.scalars(
                select(User.username)
                .join(Notification, Notification.user_id == User.id)
                .where(Notification.kind == "escalation", Notification.task_record_id == adviser.id)
            )
        )
    assert escalated and "center" not in escalated
    assert escalated <= {"bureau", "bureau_head"}


def test_the_dashboard_labels_local_rules_and_shows_the_correction_rate(client, db):
    login(client, "bureau")
    page = client.get("/dashboard?from=2026-01-01&to=2026-12-31").get_data(as_text=True)
    assert "本地规则" in page and "各单位复议纠错率" in page
    assert "其中本地规则：按期" in page
