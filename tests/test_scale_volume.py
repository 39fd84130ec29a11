"""The scale benchmark's volume (``scripts/bench --scale``, ``scripts/scale``): a small district
built from the stories holds together as the product wrote it: every reference points at a row
of the same copy, case numbers stay unique, dates spread over the years, and the audit chain
verifies against its checkpoints, as the product's last verification left it; PostgreSQL gets
the same volume."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.anchor import Anchor
from app.db import Database
from app.models import (
    AuditEvent,
    Case,
    Document,
    ProcessInstance,
    StatCount,
    TaskRecord,
    Timer,
)
from app.models.states import InstanceStatus
from app.services.records import audit_verify, verifications

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
pytestmark = pytest.mark.both_databases


def test_a_small_district_holds_together_and_its_chain_verifies(
    tmp_path, monkeypatch, clock, backend, database_url
):
    monkeypatch.syspath_prepend(str(SCRIPTS))
    clock.set("2026-12-07T09:00:00+08:00")  # the stories move it on
    from scale.generate import generate

    present = datetime(2026, 12, 7, 1, tzinfo=UTC)
    built = generate(tmp_path, 0.002, 5, present, lambda _: None, database_url)
    data_dir = tmp_path / ("sqlite" if database_url is None else "postgres")
    url = database_url or f"sqlite:///{data_dir / 'huajie.sqlite3'}"
    db = Database(url, anchor=Anchor.in_folder(data_dir))
    with db.read() as session:
        count = lambda model: session.scalar(select(func.count(model.id)))  # noqa: E731
        assert count(ProcessInstance) == built["volume"]["instances"] >= 200
        # the copies' events, then the last verification's and the statistics' rebuild
        assert count(AuditEvent) == built["volume"]["audit_events"] + 2
        assert session.scalar(select(func.sum(StatCount.n))) > 0  # what the dashboard reads
        orphan_tasks = session.scalar(
            select(func.count(TaskRecord.id))
            .outerjoin(ProcessInstance, ProcessInstance.id == TaskRecord.instance_id)
            .where(ProcessInstance.id.is_(None))
        )
        assert orphan_tasks == 0
        # a task's case is its instance's case (ids moved together)
        mismatched = session.scalar(
            select(func.count(TaskRecord.id))
            .join(ProcessInstance, ProcessInstance.id == TaskRecord.instance_id)
            .where(TaskRecord.case_id != ProcessInstance.case_id)
        )
        assert mismatched == 0
        orphan_timers = session.scalar(
            select(func.count(Timer.id))
            .outerjoin(ProcessInstance, ProcessInstance.id == Timer.instance_id)
            .where(ProcessInstance.id.is_(None))
        )
        assert orphan_timers == 0
        # an instance's summary names its own case's number
        wrong_summary = session.scalar(
            select(func.count(ProcessInstance.id))
            .join(Case, Case.id == ProcessInstance.case_id)
            .where(~ProcessInstance.summary.contains(Case.case_no))
        )
        assert wrong_summary == 0
        assert count(Document) > 0
        years = {moment.year for moment in session.scalars(select(ProcessInstance.started_at))}
        assert len(years) >= 10  # twenty years, not one
        running = session.scalar(
            select(func.count(ProcessInstance.id)).where(
                ProcessInstance.status == InstanceStatus.RUNNING
            )
        )
        assert 0 < running < count(ProcessInstance) // 5
        # the audit page shows a trusted verification of the copies' chain …
        last = verifications.last(session)
        assert last is not None and last.ok and last.last_seq == built["volume"]["audit_events"]
        assert verifications.trusted(last, db.anchor.key())
        # … from which the incremental verification goes on, checking what came after it
        since = audit_verify.verify(session, db.anchor)
        report = audit_verify.verify(session, db.anchor, full=True)
    db.dispose()
    assert since.ok, since.problems
    assert since.start_count == built["volume"]["audit_events"] and since.checked == 2
    assert report.ok, report.problems
    assert report.checked == built["volume"]["audit_events"] + 2
