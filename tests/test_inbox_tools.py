"""The inbox's filters, search, sort, paging and counts; comments (办理意见) by the read rule."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import InvalidInput, NotFound
from app.models import AuditEvent, TaskRecord
from app.services.execution import claims, task_comments
from app.services.reporting import inbox
from tests.helpers import actor, open_task, register, step

pytestmark = pytest.mark.both_databases

LATE_NO, SOON_NO = "（2026）苏0813行诉前12号", "（2026）苏0813行诉前31号"


def _agency_task(db, case_no: str, plaintiff: str) -> int:
    instance_id = register(db, court_case_no=case_no, plaintiff=plaintiff)
    step(db, instance_id, "center", "register_materials")
    return open_task(db, instance_id).id


def _two_tasks(db, clock) -> tuple[int, int]:
    """GTZY's reply to a case registered 09-30 (due 10-10, late on 10-12) and to one
    registered 10-12 (due 10-15, within three working days); SCJG has one of its own."""
    late = _agency_task(db, LATE_NO, "张某某")
    clock.set("2026-10-12T10:00:00+08:00")
    soon = _agency_task(db, SOON_NO, "李某某")
    register(db, court_case_no="（2026）苏0813行诉前40号", agency_unit="SCJG")
    return late, soon


def _ids(db, who: str, **args: str) -> list[int]:
    with db.read() as session:
        found = inbox.page(session, actor(db, who), inbox.parse_filter(args))
    return [row.task.id for row in found.rows]


def test_filters_search_and_sort(db, clock):
    late, soon = _two_tasks(db, clock)
    assert _ids(db, "gtzy") == [late, soon]
    assert _ids(db, "gtzy", sort="-due") == [soon, late]
    assert _ids(db, "gtzy", overdue="1") == [late]
    assert _ids(db, "gtzy", due_within="3") == [soon]
    assert _ids(db, "gtzy", q="诉前31") == [soon]
    assert _ids(db, "gtzy", q="(2026)苏0813行诉前31号") == [soon]  # half-width brackets
    assert _ids(db, "gtzy", q="张某某") == [late]
    assert _ids(db, "gtzy", process="pre_litigation_mediation") == [late, soon]
    assert _ids(db, "gtzy", process="legality_review") == []
    assert _ids(db, "gtzy", mine="1") == []
    claims.claim(db, actor(db, "gtzy"), soon)
    assert _ids(db, "gtzy", mine="1") == [soon]
    assert _ids(db, "gtzy_reviewer", mine="1") == []
    with db.read() as session:
        (row,) = inbox.page(
            session, actor(db, "gtzy_reviewer"), inbox.parse_filter({"q": "李某某"})
        ).rows
    assert row.process_name == "法院诉前移送调处" and "洪泽区自然资源和规划局" in (
        row.claimant or ""
    )


def test_pages_follow_the_cursor_without_repeating(db, clock):
    late, soon = _two_tasks(db, clock)
    with db.read() as session:
        first = inbox.page(session, actor(db, "gtzy"), inbox.parse_filter({"limit": "1"}))
        assert [r.task.id for r in first.rows] == [late] and first.next_after
        second = inbox.page(
            session,
            actor(db, "gtzy"),
            inbox.parse_filter({"limit": "1", "after": first.next_after}),
        )
    assert [r.task.id for r in second.rows] == [soon] and second.next_after == ""


def test_counts_per_filter(db, clock):
    _, soon = _two_tasks(db, clock)
    claims.claim(db, actor(db, "gtzy"), soon)
    with db.read() as session:
        counts = inbox.counts(session, actor(db, "gtzy"))
        searched = inbox.counts(session, actor(db, "gtzy"), inbox.parse_filter({"q": "张某某"}))
    assert (counts.total, counts.overdue, counts.due_soon, counts.mine) == (2, 1, 1, 1)
    assert counts.processes == [("pre_litigation_mediation", "法院诉前移送调处", 2)]
    assert (searched.total, searched.overdue, searched.mine) == (1, 1, 0)


def test_bad_filters_are_named_all_at_once(db):
    with pytest.raises(InvalidInput) as refused:
        inbox.parse_filter({"due_within": "abc", "overdue": "maybe", "after": "x", "limit": "0"})
    assert set(refused.value.errors) == {"due_within", "overdue", "after", "limit"}


def test_comments_are_read_by_the_tasks_readers_and_kept_in_the_history(db):
    task_id = _agency_task(db, LATE_NO, "张某某")
    task_comments.add(db, actor(db, "gtzy"), task_id, "已联系原告，拟下周约谈")
    with db.read() as session:
        # an agency task is read by its unit and the supervising roles (access.py)
        for reader in ("gtzy_reviewer", "center"):
            (comment,) = task_comments.for_task(session, actor(db, reader), task_id)
            assert comment.body == "已联系原告，拟下周约谈" and comment.author.username == "gtzy"
        with pytest.raises(NotFound):
            task_comments.for_task(session, actor(db, "scjg"), task_id)
        (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "task.comment"))
    assert event.instance_id == open_task(db, comment.instance_id).instance_id
    assert event.detail["task_id"] == task_id
    with pytest.raises(NotFound):
        task_comments.add(db, actor(db, "scjg"), task_id, "越权")
    with pytest.raises(InvalidInput):
        task_comments.add(db, actor(db, "center"), task_id, "   ")
    with db.read() as session:
        assert len(task_comments.for_task(session, actor(db, "center"), task_id)) == 1


def test_a_task_without_a_due_date_follows_the_dated_ones_in_its_units_inbox(db, clock):
    late, soon = _two_tasks(db, clock)
    with db.write() as session:  # a step the process gives no deadline
        session.get(TaskRecord, soon).due_at = None
    assert _ids(db, "gtzy") == [late, soon]
    assert soon not in _ids(db, "scjg")
    with db.read() as session:
        first = inbox.page(session, actor(db, "gtzy"), inbox.parse_filter({"limit": "1"}))
        second = inbox.page(
            session,
            actor(db, "gtzy"),
            inbox.parse_filter({"limit": "1", "after": first.next_after}),
        )
    assert [r.task.id for r in first.rows] == [late]
    assert [r.task.id for r in second.rows] == [soon] and second.next_after == ""
