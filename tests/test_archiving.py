"""Archiving (归档): finished instances past the retention period move to the archive with
every row that belongs to them, a case only with its whole tree; the audit chain still verifies,
the statistics keep their numbers, and a second run moves nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.errors import InvalidInput
from app.models import Case, Document, ProcessInstance, StatCount, TaskRecord
from app.models.states import InstanceStatus, VerificationScope
from app.services import district_settings
from app.services.actor import SYSTEM
from app.services.court import cases
from app.services.execution import instances, processes
from app.services.records import archive_store, archiving, verifications
from app.services.reporting import queries
from tests.helpers import actor, register, step

pytestmark = pytest.mark.both_databases


def _mediate(db, case_no: str) -> int:
    """A pre-litigation mediation that ends in an agreement (documents rendered on the way)."""
    instance = register(db, court_case_no=case_no)
    step(db, instance, "center", "register_materials")
    step(db, instance, "gtzy", "agency_reply")
    step(db, instance, "center", "schedule_mediation")
    step(db, instance, "center", "record_outcome")
    step(db, instance, "center", "sign_agreement")
    return instance


def _case_of(db, instance_id: int) -> int:
    with db.read() as session:
        case_id = session.get(ProcessInstance, instance_id).case_id
        assert case_id is not None
        return case_id


def _withdrawn(db, process_id: str, username: str) -> int:
    """A standalone instance, started and withdrawn."""
    instance_id = processes.start(db, actor(db, username), process_id, {}).id
    with db.write() as session:
        assert instances.cancel_instance(session, SYSTEM, instance_id, "测试撤销")
    return instance_id


@pytest.fixture
def history(db, clock):
    """Ended in 2014: a mediated case, a withdrawn review; a 2014 case whose second instance is
    still running; and this year's work."""
    clock.set("2014-03-03T09:00:00+08:00")
    old_case = _mediate(db, "（2014）苏0813行诉前1号")
    old_alone = _withdrawn(db, "legality_review", "gtzy")
    split = _mediate(db, "（2014）苏0813行诉前2号")
    clock.set("2025-05-06T09:00:00+08:00")
    running = cases.start_for_case(db, actor(db, "center"), _case_of(db, split),
                                   "in_trial_resolution").id  # fmt: skip
    recent = _mediate(db, "（2025）苏0813行诉前3号")
    clock.set("2026-06-01T09:00:00+08:00")
    district_settings.change(db, SYSTEM, "archive_after_years", 10)
    return {"old_case": old_case, "old_alone": old_alone, "split": split, "running": running,
            "recent": recent}  # fmt: skip


def _main_ids(db) -> set[int]:
    with db.read() as session:
        return set(session.scalars(select(ProcessInstance.id)))


def _archived_ids(db) -> set[int]:
    with db.read() as session:
        table = archive_store.TABLES["process_instances"]
        if not archive_store.ready(session.connection()):
            return set()
        return set(session.scalars(select(table.c.id)))


def _stat_counts(db) -> list[tuple]:
    with db.read() as session:
        return [tuple(r) for r in session.execute(select(StatCount.__table__).order_by(
            StatCount.statistic, StatCount.grain, StatCount.span, StatCount.unit_id,
            StatCount.key))]  # fmt: skip


def test_only_whole_cases_and_instances_past_the_retention_move(db, history):
    before = _main_ids(db)
    report = archiving.run(db, SYSTEM)
    assert report.cutoff == date(2016, 6, 1)
    moved = {history["old_case"], history["old_alone"]}
    assert _archived_ids(db) == moved
    assert _main_ids(db) == before - moved  # the split case stays whole in the main tables
    assert report.instances == 2 and report.cases == 1
    with db.read() as session:
        assert session.scalar(
            select(func.count()).select_from(TaskRecord).where(
                TaskRecord.instance_id.in_(moved))) == 0  # fmt: skip
        assert session.scalar(select(func.count()).select_from(Case).where(
            Case.case_no == "（2014）苏0813行诉前1号")) == 0  # fmt: skip
        assert session.scalar(select(func.count()).select_from(Document).where(
            Document.instance_id.in_(moved))) == 0  # fmt: skip
        archived_tasks = archive_store.TABLES["tasks"]
        assert session.scalar(select(func.count()).select_from(archived_tasks).where(
            archived_tasks.c.instance_id == history["old_case"])) == 5  # fmt: skip


def test_a_second_run_moves_nothing_and_a_dry_run_moves_nothing(db, history):
    counted = archiving.run(db, SYSTEM, dry_run=True)
    assert (counted.instances, counted.cases) == (2, 1)
    assert _archived_ids(db) == set()
    archiving.run(db, SYSTEM)
    again = archiving.run(db, SYSTEM)
    assert (again.instances, again.cases, again.rows) == (0, 0, {})


def test_an_earlier_before_day_narrows_and_the_setting_off_refuses(db, history):
    assert archiving.run(db, SYSTEM, date(2014, 1, 1)).instances == 0
    assert archiving.run(db, SYSTEM, date(2030, 1, 1)).cutoff == date(2016, 6, 1)
    district_settings.change(db, SYSTEM, "archive_after_years", 0)
    with pytest.raises(InvalidInput, match="archive_after_years"):
        archiving.run(db, SYSTEM)


def test_the_audit_chain_verifies_deeply_and_the_statistics_keep_their_numbers(db, history):
    counts = _stat_counts(db)
    assert counts
    archiving.run(db, SYSTEM)
    assert _stat_counts(db) == counts
    for scope in (VerificationScope.FULL, VerificationScope.DEEP):
        report = verifications.run(db, "auditor", scope=scope)
        assert report.ok, report.problems


def test_the_statistics_rebuilt_after_archiving_count_the_archived_facts(db, history):
    from app.services.reporting import repair

    counts = _stat_counts(db)
    archiving.run(db, SYSTEM)
    repair.rebuild(db, SYSTEM)
    assert _stat_counts(db) == counts


def test_the_instance_a_finished_case_kept_running_is_not_touched(db, history):
    archiving.run(db, SYSTEM)
    with db.read() as session:
        running = session.get(ProcessInstance, history["running"])
        assert running.status == InstanceStatus.RUNNING


def _document_of(db, instance_id: int) -> int:
    with db.read() as session:
        doc_id = session.scalar(
            select(Document.id).where(Document.instance_id == instance_id).limit(1)
        )
        assert doc_id is not None
        return doc_id


def test_the_auditor_opens_an_archived_instance_its_history_and_its_document(db, history, client):
    from tests.test_web import login

    doc_id = _document_of(db, history["old_case"])
    archiving.run(db, SYSTEM)
    login(client, "auditor")
    page = client.get(f"/instances/{history['old_case']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "已归档" in text and "（2014）苏0813行诉前1号" in text
    assert "制作调处协议并签字确认" in text and "登记材料并发送交办通知书" in text  # its steps
    assert "移入归档库" in text  # the history says when it was archived
    download = client.get(f"/documents/{doc_id}")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    with db.read() as session:
        from app.models import AuditEvent

        read = session.scalars(select(AuditEvent).where(AuditEvent.action == "document.read")).all()
        assert [e.detail["document_id"] for e in read] == [doc_id]
    dossier = client.get(f"/instances/{history['old_case']}/dossier.zip")
    assert dossier.status_code == 200 and dossier.data[:2] == b"PK"


def test_an_agency_without_part_in_an_archived_instance_does_not_read_it(db, history, client):
    from tests.test_web import login

    doc_id = _document_of(db, history["old_case"])
    archiving.run(db, SYSTEM)
    login(client, "scjg")
    assert client.get(f"/instances/{history['old_case']}").status_code == 404
    assert client.get(f"/documents/{doc_id}").status_code == 404


def _a_task_of(db, instance_id: int) -> int:
    with db.read() as session:
        return session.scalar(
            select(TaskRecord.id).where(TaskRecord.instance_id == instance_id).limit(1)
        )


def test_an_archived_instance_cannot_be_changed_and_says_why(db, history, client):
    from app.errors import Archived
    from app.services.execution import completion, deadlines
    from tests.helpers import FORM_DATA
    from tests.test_web import _csrf, login

    task_id = _a_task_of(db, history["old_case"])
    archiving.run(db, SYSTEM)
    center = actor(db, "center")
    with pytest.raises(Archived, match="已归档"):
        completion.submit(db, center, task_id, FORM_DATA["register_materials"])
    with pytest.raises(Archived, match="已归档"):
        deadlines.extend(db, center, task_id, 3, "测试")
    with db.write() as session, pytest.raises(Archived, match="已归档"):
        instances.instance_for(session, history["old_case"])
    login(client, "center")
    page = client.get(f"/tasks/{task_id}")
    assert page.status_code == 409 and "已归档" in page.get_data(as_text=True)
    token = _csrf(client, "/")
    posted = client.post(f"/tasks/{task_id}", data={"csrf_token": token})
    assert posted.status_code == 409 and "已归档" in posted.get_data(as_text=True)


def test_the_lists_find_archived_instances_and_cases_when_asked_or_by_their_number(
    db, history, client
):
    from tests.test_web import login

    archiving.run(db, SYSTEM)
    login(client, "auditor")
    old = history["old_case"]
    plain = client.get("/instances").get_data(as_text=True)
    assert f'data-instance-id="{old}"' not in plain  # the everyday list reads no archive
    included = client.get("/instances?archived=1").get_data(as_text=True)
    assert f'data-instance-id="{old}"' in included and "已归档" in included
    assert f'data-instance-id="{history["recent"]}"' in included  # beside the main ones
    by_number = client.get("/instances?case_no=（2014）苏0813行诉前1号").get_data(as_text=True)
    assert f'data-instance-id="{old}"' in by_number
    found = client.get("/cases?q=（2014）苏0813行诉前1号").get_data(as_text=True)
    assert "（2014）苏0813行诉前1号" in found and "已归档" in found
    assert "（2014）苏0813行诉前1号" not in client.get("/cases").get_data(as_text=True)
    with db.read() as session:
        table = archive_store.TABLES["cases"]
        case_id = session.scalar(select(table.c.id))
    case_page = client.get(f"/cases/{case_id}")
    assert case_page.status_code == 200
    text = case_page.get_data(as_text=True)
    assert "已归档" in text and "制作调处协议并签字确认" in text


def test_an_archived_case_number_is_not_registered_again_nor_sent_messages(db, history):
    from app.errors import Archived
    from app.services.court import messages

    archiving.run(db, SYSTEM)
    with pytest.raises(Archived, match="已归档"):
        register(db, court_case_no="（2014）苏0813行诉前1号")
    court = actor(db, "court")
    judgment = {"outcome": "胜诉", "effective_on": "2016-01-05"}
    body = {"name": "judgment", "case_no": "（2014）苏0813行诉前1号",
            "idempotency_key": "late", "payload": judgment}  # fmt: skip
    with pytest.raises(Archived, match="已归档"):
        messages.receive(db, court, body)


def test_a_retention_shorter_than_three_years_is_refused(db, history):
    for years in (1, 2, -1, 101):
        with pytest.raises(InvalidInput, match="归档年限"):
            district_settings.change(db, SYSTEM, "archive_after_years", years)
    district_settings.change(db, SYSTEM, "archive_after_years", 3)


def test_a_case_judged_after_the_cut_off_stays_with_its_instances(db, history):
    with db.write() as session:
        case = session.get(Case, _case_of(db, history["old_case"]))
        case.outcome, case.outcome_on = "撤诉", "2020-05-06"  # recent: read by the statistics
    assert archiving.run(db, SYSTEM).cases == 0
    assert history["old_case"] in _main_ids(db)


def test_the_command_line_counts_then_moves_and_names_a_bad_day(db, history):
    from click.testing import CliRunner

    from app.cli import main

    runner = CliRunner()
    dry = runner.invoke(main, ["archive", "run", "--dry-run"], catch_exceptions=False)
    assert dry.exit_code == 0 and "可归档：2 个流程实例，1 个案件" in dry.output
    assert _archived_ids(db) == set()
    bad = runner.invoke(main, ["archive", "run", "--before", "2015-02-30"])
    assert bad.exit_code == 2 and "--before" in bad.output
    done = runner.invoke(main, ["archive", "run"], catch_exceptions=False)
    assert done.exit_code == 0 and "已归档：2 个流程实例，1 个案件" in done.output
    assert "process_instances\t2" in done.output
    assert _archived_ids(db) == {history["old_case"], history["old_alone"]}


def test_an_archive_made_by_an_older_version_gets_the_columns_added_since(db, history):
    from sqlalchemy import inspect, text

    archiving.run(db, SYSTEM)
    with db.write() as session:  # as a version without the tasks' claims left it
        session.execute(text(f"ALTER TABLE {archive_store.SCHEMA}.tasks DROP COLUMN claimed_at"))
    with db.write() as session:
        archive_store.ensure(session.connection())
    with db.read() as session:
        columns = inspect(session.connection()).get_columns("tasks", schema="archive")
        assert "claimed_at" in {c["name"] for c in columns}
        view = queries.instance_view(session, actor(db, "auditor"), history["old_case"])
        assert view.archived and len(view.tasks) == 5


def test_a_new_instance_never_takes_the_number_of_an_archived_one(db, clock):
    clock.set("2014-03-03T09:00:00+08:00")
    only = _mediate(db, "（2014）苏0813行诉前9号")  # the newest rows of every table
    clock.set("2026-06-01T09:00:00+08:00")
    district_settings.change(db, SYSTEM, "archive_after_years", 10)
    archiving.run(db, SYSTEM)
    new = _mediate(db, "（2026）苏0813行诉前9号")
    assert new != only and not (_archived_ids(db) & _main_ids(db))
    with db.read() as session:  # its task ids are its own too
        archived_tasks = archive_store.TABLES["tasks"]
        if archive_store.ready(session.connection()):
            old_tasks = set(session.scalars(select(archived_tasks.c.id)))
            assert not old_tasks & set(session.scalars(select(TaskRecord.id)))


def test_every_row_that_refers_to_an_archived_row_moves_with_it():
    """A new table referring to tasks, instances or cases must be archived with them (or the
    move would fail on its foreign key, or leave it pointing at nothing)."""
    from app.models import Base

    for table in Base.metadata.tables.values():
        for key in table.foreign_keys:
            if key.column.table.name in archive_store.MOVED:
                assert table.name in archive_store.MOVED, (table.name, key.target_fullname)
    for name in archive_store.MOVED:
        columns = archive_store.main_table(name).c
        linked = "instance_id" in columns or name in ("process_instances", "cases")
        assert linked or name in archiving._BY_TASK or name in archiving._BY_CASE, name
