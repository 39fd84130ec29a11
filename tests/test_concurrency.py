"""Two people submitting the same task at once: one wins, the other gets a conflict."""

from __future__ import annotations

import threading

import pytest

from app.services.actor import SYSTEM
from app.services.identity import org
from tests.helpers import CASE, FORM_DATA

pytestmark = pytest.mark.both_databases


def test_concurrent_completion_yields_one_200_and_one_409(app, db):
    with db.write() as session:
        token = org.create_token(session, SYSTEM, "center")
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    client.post("/api/v1/cases", json=CASE, headers=headers)
    (task,) = client.get("/api/v1/tasks", headers=headers).json
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def submit() -> None:
        local = app.test_client()
        barrier.wait()
        response = local.post(
            f"/api/v1/tasks/{task['id']}/complete",
            json={"data": FORM_DATA["register_materials"]},
            headers=headers,
        )
        codes.append(response.status_code)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200, 409]
    instance = client.get(f"/api/v1/instances/{task['instance_id']}", headers=headers).json
    assert [t["bpmn_id"] for t in instance["tasks"]] == ["register_materials", "agency_reply"]
    assert len(instance["documents"]) == 1


def test_a_stale_instance_version_is_a_conflict_not_a_lost_update(db):
    """Another writer bumped the instance between our read and our write."""
    import pytest
    from sqlalchemy import text

    from app.errors import Conflict
    from app.models import ProcessInstance
    from app.services.execution import completion
    from tests.helpers import actor, open_task, register

    instance_id = register(db)
    task = open_task(db, instance_id)
    center = actor(db, "center")
    with pytest.raises(Conflict), db.write() as session:
        ours = session.get(ProcessInstance, instance_id)  # our read, at version 1
        assert ours.lock_version == 1
        session.execute(  # the other writer's commit, as the database sees it
            text("UPDATE process_instances SET lock_version = lock_version + 1 WHERE id = :id"),
            {"id": instance_id},
        )
        completion.complete_task(session, center, task.id, FORM_DATA["register_materials"])
    assert open_task(db, instance_id).status == "open"


def test_many_threads_on_parallel_tasks_of_one_instance_lose_no_update(db, settings):
    """Co-defendants' reviews run in parallel in one instance: eight threads race to submit
    both; each task is completed exactly once and both units move on."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import select

    from app.errors import Conflict, Forbidden
    from app.models import TaskRecord
    from app.services.execution import completion
    from tests.helpers import actor, co_defendant_reviews
    from tests.samples import PathData, load

    reviews = co_defendant_reviews(db, "（2026）苏0813行初5号")
    data = PathData(load("loss_review")["paths"]["single_unit"]).next("write_review")
    who = {r.id: ("gtzy" if r.unit.code == "GTZY" else "scjg") for r in reviews}

    def submit(task_id: int) -> str:
        try:
            with db.write() as session:
                completion.complete_task(session, actor(db, who[task_id]), task_id, dict(data))
        except (Conflict, Forbidden):
            return "conflict"
        return "ok"

    jobs = [r.id for r in reviews] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(zip(jobs, pool.map(submit, jobs), strict=True))
    for review in reviews:
        assert [o for t, o in outcomes if t == review.id].count("ok") == 1
    with db.read() as session:
        approvals = list(
            session.scalars(select(TaskRecord).where(TaskRecord.bpmn_id == "approve_review"))
        )
    assert sorted(a.unit.code for a in approvals) == ["GTZY", "SCJG"]
