"""Issue 22 point 4: audit verification is incremental and recorded, the day's one runs once and
alerts, and the 审计日志 page (and the API) show the last result and a page of events."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text

from app import clock as product_clock
from app.errors import InvalidInput
from app.models import AuditEvent, AuditVerification, MailOutbox, Notification, User
from app.models.states import VerificationScope
from app.scheduler import TimerScheduler
from app.services.actor import SYSTEM
from app.services.identity import org
from app.services.notify import mail
from app.services.records import audit, audit_listing, verifications
from tests.helpers import register
from tests.test_audit_anchor import _busy, _tamper, _verify
from tests.test_web import login

pytestmark = pytest.mark.both_databases


def _event_of(db, instance_id: int, action: str) -> tuple[int, int]:
    with db.read() as session:
        row = session.execute(
            select(AuditEvent.id, AuditEvent.seq)
            .where(AuditEvent.instance_id == instance_id, AuditEvent.action == action)
            .limit(1)
        ).one()
    return row.id, row.seq


def _edit(db, event_id: int) -> None:
    """Someone with write access to the database changes who did it (no chain recomputed)."""
    with db.write_engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_update")
        else:
            conn.exec_driver_sql(
                "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"
            )
        conn.execute(
            text("UPDATE audit_events SET actor = 'someone' WHERE id = :id"), {"id": event_id}
        )
        conn.commit()


def test_an_edit_before_the_verified_checkpoint_needs_full_one_after_is_found_at_once(db):
    before = _busy(db)
    assert _verify().exit_code == 0  # signs a verified checkpoint after these events
    register(db, court_case_no="（2026）苏0813行诉前61号")
    old_id, old_seq = _event_of(db, before, "task.complete")
    _edit(db, old_id)
    result = _verify()  # reads only what came after the checkpoint
    assert result.exit_code == 0, result.output
    assert "增量校验" in result.output
    after = register(db, court_case_no="（2026）苏0813行诉前62号")
    new_id, new_seq = _event_of(db, after, "instance.start")
    _edit(db, new_id)
    result = _verify()
    assert result.exit_code == 1
    assert f"事件 #{new_id}（第 {new_seq} 个）的内容与其签名（HMAC）不符" in result.output
    result = _verify("--full")
    assert result.exit_code == 1
    assert f"事件 #{old_id}（第 {old_seq} 个）的内容与其签名（HMAC）不符" in result.output
    with db.read() as session:
        rows = session.scalars(select(AuditVerification).order_by(AuditVerification.id)).all()
    assert [(r.actor, r.scope, r.ok) for r in rows] == [
        ("cli", "new", True), ("cli", "new", True), ("cli", "new", False), ("cli", "full", False),
    ]  # fmt: skip
    assert rows[2].broken_event_id == new_id and rows[3].broken_event_id == old_id
    assert rows[1].first_seq == rows[0].last_seq + 1  # the second began where the first ended
    assert rows[1].last_seq == rows[1].events
    assert rows[2].first_seq == rows[1].last_seq + 1


def test_the_daily_verification_runs_in_one_process_records_and_alerts(db, clock):
    _busy(db)
    claimed = verifications.begin(db, SYSTEM, VerificationScope.NEW, daily=True)  # process A
    assert claimed is not None
    TimerScheduler(db)._verify_audit()  # process B, while A reads the chain: leaves it
    with db.read() as session:
        assert session.scalar(select(func.count(AuditVerification.id))) == 1
    verifications.complete(db, SYSTEM, claimed)
    assert verifications.run_daily(db) is None  # done today
    with db.read() as session:
        row = session.get_one(AuditVerification, claimed)
        assert (row.daily, row.ok, row.actor) == (True, True, "system")
        assert session.scalar(select(func.count(Notification.id))) == 0
    # the next night the chain is found shortened: recorded, and the administrators alerted
    db.anchor.flush()
    with db.read() as session:
        head = session.scalar(select(func.max(AuditEvent.seq)))
    _tamper(db, ("DELETE FROM audit_events WHERE seq > :keep", {"keep": head - 2}))
    clock.set("2026-10-01T02:30:00+08:00")
    TimerScheduler(db)._verify_audit()
    TimerScheduler(db)._verify_audit()  # a second server process
    with db.read() as session:
        rows = session.scalars(select(AuditVerification).order_by(AuditVerification.id)).all()
        alerts = session.scalars(select(Notification).where(Notification.kind == "audit")).all()
        admins = set(session.scalars(select(User.id).where(User.role == "admin")))
    assert [(r.daily, r.ok) for r in rows] == [(True, True), (True, False)]
    assert "缺失" in rows[1].problems[0]
    assert {a.user_id for a in alerts} == admins and len(alerts) == len(admins)
    assert all("审计链校验失败" in a.message for a in alerts)


def test_an_audit_alert_is_mailed_without_waiting_for_the_hourly_batch(db):
    _busy(db)
    with db.write() as session:
        admin = session.scalar(select(User).where(User.username == "admin"))
        admin.email = "admin@example.gov.cn"
        session.add(
            MailOutbox(
                user_id=admin.id, address=admin.email, subject="化解：您有 1 条新通知",
                body="-", created_at=product_clock.now() - timedelta(minutes=5), error="",
            )
        )  # fmt: skip
    db.anchor.flush()
    with db.read() as session:
        head = session.scalar(select(func.max(AuditEvent.seq)))
    _tamper(db, ("DELETE FROM audit_events WHERE seq > :keep", {"keep": head - 2}))
    assert not verifications.run(db, "cli").ok
    sent = []
    with db.write() as session:
        mail.send_batches(session, sent.append)
    assert [m["To"] for m in sent if "审计链校验失败" in m.get_content()] == [
        "admin@example.gov.cn"
    ]


def _page_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r"<tr><td>(\d+)</td>", page)]


def test_the_page_shows_the_last_verification_trusted_only_with_its_signature(client, db):
    _busy(db)
    login(client, "auditor")
    assert "尚未校验过审计链" in client.get("/audit").get_data(as_text=True)
    report = verifications.run(db, "cli")
    page = client.get("/audit").get_data(as_text=True)
    assert "cli）：审计链完整。增量校验" in page
    assert f"第 {report.verified_count} 个事件（签名检查点有效）" in page
    assert "此记录不可信" not in page
    # someone with database access claims more was verified than the signature says
    with db.write_engine.begin() as conn:
        conn.execute(text("UPDATE audit_verifications SET last_seq = last_seq + 40"))
    page = client.get("/audit").get_data(as_text=True)
    assert "检查点签名不符" in page and "此记录不可信" in page
    assert "签名检查点有效" not in page


def test_the_page_shows_a_failed_verification_with_its_first_break(client, db):
    _busy(db)
    db.anchor.flush()
    with db.read() as session:
        head = session.scalar(select(func.max(AuditEvent.seq)))
    _tamper(db, ("DELETE FROM audit_events WHERE seq > :keep", {"keep": head - 2}))
    assert not verifications.run(db, "cli").ok
    login(client, "auditor")
    page = client.get("/audit").get_data(as_text=True)
    assert "审计链异常" in page and f"第 {head - 1}–{head} 个事件缺失" in page


def _many_events(db, clock) -> dict[str, list[int]]:
    """60 setting changes by admin on 10-01, 5 unit additions by bureau on 10-02: their ids, in
    order (the seeded database has events of these kinds too, from 09-30)."""
    with db.read() as session:
        seeded = session.scalar(select(func.max(AuditEvent.id)))
    clock.set("2026-10-01T09:00:00+08:00")
    with db.write() as session:
        for n in range(60):
            audit.record(session, "admin", "setting.change", name=f"s{n}")
    clock.set("2026-10-02T09:00:00+08:00")
    with db.write() as session:
        for n in range(5):
            audit.record(session, "bureau", "unit.add", code=f"U{n}")
    with db.read() as session:
        rows = session.execute(
            select(AuditEvent.id, AuditEvent.action)
            .where(AuditEvent.id > seeded)
            .order_by(AuditEvent.id)
        )
        found: dict[str, list[int]] = {}
        for event_id, action in rows:
            found.setdefault(action, []).append(event_id)
    return found


def test_the_page_pages_events_newest_first_within_a_filter(client, db, clock):
    made = _many_events(db, clock)
    clock.set("2026-10-03T09:00:00+08:00")
    login(client, "auditor")
    with db.read() as session:
        everything = list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc())))
    page = client.get("/audit").get_data(as_text=True)
    assert _page_ids(page) == everything[:50]
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.read_engine, "before_cursor_execute", seen)
    try:
        first = client.get("/audit?action=setting.change").get_data(as_text=True)
    finally:
        event.remove(db.read_engine, "before_cursor_execute", seen)
    unbounded = [s for s in statements if "audit_events" in s and "LIMIT" not in s.upper()]
    assert unbounded == []  # every read of the events is a page or a head, never the chain
    assert _page_ids(first) == made["setting.change"][::-1][:50]
    link = re.search(r'id="next-page" href="([^"]+)"', first)
    assert link is not None and "action=setting.change" in link.group(1)
    second = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert _page_ids(second) == made["setting.change"][::-1][50:]
    assert 'id="next-page"' not in second
    by_actor = client.get("/audit?actor=bureau&from=2026-10-01").get_data(as_text=True)
    assert _page_ids(by_actor) == made["unit.add"][::-1]
    by_day = client.get("/audit?from=2026-10-02&to=2026-10-02").get_data(as_text=True)
    assert _page_ids(by_day) == made["unit.add"][::-1]
    first_day = client.get("/audit?from=2026-10-01&to=2026-10-01").get_data(as_text=True)
    assert _page_ids(first_day) == made["setting.change"][::-1][:50]
    before = client.get("/audit?from=2026-10-01&to=2026-10-01&action=unit.add").get_data(
        as_text=True
    )
    assert _page_ids(before) == [] and "没有符合条件的事件" in before
    instance_id = register(db, court_case_no="（2026）苏0813行诉前63号")
    with db.read() as session:
        of_instance = list(
            session.scalars(
                select(AuditEvent.id)
                .where(AuditEvent.instance_id == instance_id)
                .order_by(AuditEvent.id.desc())
            )
        )
    page = client.get(f"/audit?instance_id={instance_id}").get_data(as_text=True)
    assert of_instance and _page_ids(page) == of_instance


def test_bad_audit_filters_are_all_named(client, db):
    with pytest.raises(InvalidInput) as raised:
        audit_listing.AuditFilter.parse({"instance_id": "abc", "from": "2026-13-01", "to": "x"})
    assert set(raised.value.errors) == {"instance_id", "from", "to"}
    login(client, "auditor")
    response = client.get("/audit?instance_id=abc&from=2026-10-05&to=2026-10-01")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "流程实例：应为记录编号" in body and "结束日期不能早于开始日期" in body


def test_the_api_shows_the_log_and_starts_a_verification(app, db, clock):
    made = _many_events(db, clock)
    with db.write() as session:
        token = org.create_token(session, SYSTEM, "auditor")
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    answer = api.get("/api/v1/audit/events?action=setting.change", headers=headers).get_json()
    assert answer["verification"] is None and answer["running"] is None
    assert [e["id"] for e in answer["events"]] == made["setting.change"][::-1][:50]
    assert answer["next_before"] == made["setting.change"][::-1][49]
    rest = api.get(
        f"/api/v1/audit/events?action=setting.change&before={answer['next_before']}",
        headers=headers,
    ).get_json()
    assert [e["id"] for e in rest["events"]] == made["setting.change"][::-1][50:]
    assert rest["next_before"] is None
    bad = api.get("/api/v1/audit/events?case_id=0&to=yesterday", headers=headers)
    assert bad.status_code == 400 and set(bad.get_json()["errors"]) == {"case_id", "to"}
    started = api.post("/api/v1/audit/verifications", json={}, headers=headers)
    assert started.status_code == 202
    app.extensions["huajie.audit_verifier"].wait()
    answer = api.get("/api/v1/audit/events", headers=headers).get_json()
    last = answer["verification"]
    assert last["id"] == started.get_json()["id"] and last["actor"] == "auditor"
    assert last["ok"] is True and last["scope"] == "new" and answer["verification_trusted"]
    assert answer["events"][0]["action"] == "audit.verify"  # the result, audited
