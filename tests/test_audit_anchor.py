"""Issue 18 (audit integrity) and 22 (incremental verification): the chain is anchored outside
the database, by a key and signed checkpoints, so a deleted tail, a rewritten chain or a forged
row is found and named."""

from __future__ import annotations

import json
import os
import secrets
import stat
from datetime import datetime

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import create_engine, event, select, text

from app.anchor import LOG_FILE_NAME, VERIFIED, Anchor, CheckpointLog
from app.cli import main
from app.db import Database
from app.migrate import alembic_config, upgrade
from app.models import AuditEvent, AuditVerification, MailOutbox, Notification, User
from app.models.states import VerificationScope
from app.scheduler import TimerScheduler
from app.services.actor import SYSTEM
from app.services.identity import org
from app.services.notify import mail
from app.services.records import audit, audit_verify, verifications
from tests.helpers import register, step
from tests.test_auditing import _drop_append_only
from tests.test_web import login

pytestmark = pytest.mark.both_databases


def _verify(*args: str):
    return CliRunner().invoke(main, ["audit", "verify", *args], catch_exceptions=False)


def _count(db) -> int:
    with db.read() as session:
        return verifications.state(session, db.anchor).events


def _tamper(db, *statements: tuple[str, dict]) -> None:
    """What someone with write access to the database does (triggers off first)."""
    with db.write_engine.connect() as conn:
        _drop_append_only(conn, "update")
        if conn.dialect.name == "sqlite":
            _drop_append_only(conn, "delete")
        for sql, params in statements:
            conn.execute(text(sql), params)
        conn.commit()


def _busy(db) -> int:
    """An instance a few steps along (the test's events)."""
    instance_id = register(db)
    for expect, user in [
        ("register_materials", "center"),
        ("agency_reply", "gtzy"),
        ("schedule_mediation", "center"),
    ]:
        step(db, instance_id, user, expect)
    return instance_id


def test_the_key_is_made_on_first_use_readable_by_its_owner_only(settings, db, tmp_path):
    key_file = settings.audit_key_file
    key_file.unlink()  # a new installation (the checkpoints of the copied database go too)
    (settings.data_dir / LOG_FILE_NAME).unlink()
    with pytest.raises(Exception, match="审计密钥文件不存在"):
        register(db)  # a signed chain never goes on with a new key
    assert not key_file.exists()
    elsewhere = tmp_path / "keys" / "huajie.key"
    elsewhere.parent.mkdir()
    anchor = Anchor.in_folder(settings.data_dir, elsewhere)
    key = anchor.signing_key(0, audit.GENESIS, tail_signed=False)
    assert stat.S_IMODE(os.stat(elsewhere).st_mode) == 0o600
    assert len(key) == 32 and anchor.key() == key


def test_a_deleted_tail_is_named_with_the_missing_events(db):
    _busy(db)
    db.anchor.flush()  # the head checkpoint the background thread writes after commits
    signed = _count(db)
    _tamper(db, ("DELETE FROM audit_events WHERE seq > :keep", {"keep": signed - 3}))
    result = _verify()
    assert result.exit_code == 1
    assert (
        f"记录了 {signed} 个事件，数据库只有 {signed - 3} 个：第 {signed - 2}–{signed} 个事件缺失"
        in result.output
    )


def test_a_deleted_tail_refilled_by_later_events_is_still_found(db):
    _busy(db)
    db.anchor.flush()
    signed = _count(db)
    _tamper(db, ("DELETE FROM audit_events WHERE seq > :keep", {"keep": signed - 3}))
    for n in (77, 78):  # the app writes on, past the count
        register(db, court_case_no=f"（2026）苏0813行诉前{n}号")
    assert _count(db) > signed
    result = _verify()
    assert result.exit_code == 1
    assert f"签名的检查点记录的第 {signed} 个事件与数据库中的不同" in result.output


def _rewrite(conn, from_seq: int, key: bytes, **change: str) -> int:
    """Change one event and compute the chain again from there with ``key``."""
    rows = conn.execute(
        text(
            "SELECT id, seq, at, actor, action, instance_id, case_id, CAST(detail AS TEXT), "
            "CAST(state AS TEXT), prev_hash FROM audit_events WHERE seq >= :seq ORDER BY seq"
        ),
        {"seq": from_seq},
    ).all()
    prev = rows[0].prev_hash
    for row in rows:
        actor = change.get("actor", row.actor) if row.seq == from_seq else row.actor
        at = datetime.fromisoformat(row.at) if isinstance(row.at, str) else row.at  # SQLite: text
        digest = audit.signed_digest(
            key, prev, row.seq, at, actor, row.action, row.instance_id, row.case_id,
            row[7], row[8],
        )  # fmt: skip
        conn.execute(
            text("UPDATE audit_events SET actor = :a, prev_hash = :p, hash = :h WHERE id = :id"),
            {"a": actor, "p": prev, "h": digest, "id": row.id},
        )
        prev = digest
    return rows[0].id


def test_a_chain_recomputed_without_the_key_is_named(db):
    instance_id = _busy(db)
    with db.read() as session:
        target = session.scalar(
            select(AuditEvent.seq).where(
                AuditEvent.instance_id == instance_id, AuditEvent.action == "task.complete"
            )
        )
    with db.write_engine.connect() as conn:
        _drop_append_only(conn, "update")
        event_id = _rewrite(conn, target, secrets.token_bytes(32), actor="someone-else")
        conn.commit()
    result = _verify("--full")
    assert result.exit_code == 1
    assert f"事件 #{event_id}（第 {target} 个）的内容与其签名（HMAC）不符" in result.output


def test_a_chain_rewritten_as_unsigned_events_is_named(db):
    _busy(db)
    with db.read() as session:
        last = session.scalar(select(AuditEvent.id).order_by(AuditEvent.seq.desc()).limit(1))
    _tamper(db, ("UPDATE audit_events SET chain = 1 WHERE id = :id", {"id": last}))
    result = _verify("--full")
    assert result.exit_code == 1
    assert "没有签名，却写在启用审计密钥之后" in result.output


def test_a_rewrite_before_the_verified_checkpoint_is_found_incrementally(db):
    instance_id = _busy(db)
    assert _verify().exit_code == 0  # signs a verified checkpoint
    with db.read() as session:
        first = session.scalar(
            select(AuditEvent.seq).where(AuditEvent.instance_id == instance_id).limit(1)
        )
    with db.write_engine.connect() as conn:
        _drop_append_only(conn, "update")
        _rewrite(conn, first, secrets.token_bytes(32), actor="someone-else")
        conn.commit()
    result = _verify()
    assert result.exit_code == 1
    assert "已不是" in result.output and "校验时的那一个" in result.output


def test_incremental_verification_reads_only_the_events_after_the_checkpoint(db):
    _busy(db)
    first = verifications.run(db, "system")
    assert first.ok and first.start is None  # no verified checkpoint yet: the whole chain
    assert first.checked == first.events
    before = _count(db)  # now with the first verification's own event
    register(db, court_case_no="（2026）苏0813行诉前88号")
    added = _count(db) - before
    seen: list[int] = []
    with db.read() as session:
        report = audit_verify.verify(session, db.anchor, on_event=lambda r: seen.append(r.seq))
    assert report.ok and report.start is not None
    assert report.start.count == first.events
    assert seen == list(range(first.events + 1, before + added + 1))  # only what came after
    assert report.checked == before + added - first.events
    full = verifications.run(db, "system", scope=VerificationScope.FULL)
    assert full.ok and full.checked == full.events


def test_a_failed_verification_alerts_the_administrators_once_a_day(db):
    _busy(db)
    with db.write() as session:
        admin = session.scalar(select(User).where(User.username == "admin"))
        admin.email = "admin@example.gov.cn"
    db.anchor.flush()
    signed = _count(db)
    _tamper(db, ("DELETE FROM audit_events WHERE seq > :keep", {"keep": signed - 2}))
    TimerScheduler(db)._verify_audit()  # the daily job (02:30) of one server process
    assert verifications.run_daily(db) is None  # another server process, same day: not again
    with db.read() as session:
        alerts = session.scalars(select(Notification).where(Notification.kind == "audit")).all()
        admins = session.scalars(select(User.id).where(User.role == "admin")).all()
        recorded = session.scalars(select(AuditVerification)).all()
        events = audit.by_action(session, "audit.verify")
    assert {a.user_id for a in alerts} == set(admins) and len(alerts) == len(admins)
    assert "审计链校验失败" in alerts[0].message and "缺失" in alerts[0].message
    assert [(r.actor, r.daily, r.ok) for r in recorded] == [("system", True, False)]
    assert "缺失" in recorded[0].problems[0] and recorded[0].finished_at is not None
    assert len(events) == 1 and events[0].detail["ok"] is False
    sent = []
    with db.write() as session:
        mail.send_batches(session, sent.append)
    assert any(m["To"] == "admin@example.gov.cn" for m in sent)
    with db.read() as session:
        assert session.scalar(
            select(MailOutbox.subject).where(MailOutbox.address == "admin@example.gov.cn")
        )


def test_the_audit_page_reads_no_chain_and_an_auditor_starts_a_verification(client, db):
    _busy(db)
    login(client, "auditor")
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.read_engine, "before_cursor_execute", seen)
    try:
        page = client.get("/audit").get_data(as_text=True)
    finally:
        event.remove(db.read_engine, "before_cursor_execute", seen)
    chain_reads = [s for s in statements if "audit_events" in s and "LIMIT" not in s.upper()]
    assert chain_reads == []  # a head, the last result and 200 recent events: never the chain
    assert "尚未校验过审计链" in page
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    with db.read() as session:
        before = verifications.state(session, db.anchor).events
    response = client.post("/audit/verify", data={"csrf_token": csrf, "scope": "new"})
    assert response.status_code == 302
    client.application.extensions["huajie.audit_verifier"].wait()
    page = client.get("/audit").get_data(as_text=True)
    assert "审计链完整" in page and "许静（洪泽区司法局）" in page  # who verified, by name
    with db.read() as session:
        after = session.scalars(select(AuditEvent).where(AuditEvent.seq > before)).all()
        verified = [
            c for c in CheckpointLog(db.anchor.log.path).tail().entries if c.kind == VERIFIED
        ]
    assert [(e.action, e.actor) for e in after] == [("audit.verify", "auditor")]  # nothing else
    assert verified and verified[-1].count == before


@pytest.fixture
def empty_url(backend, tmp_path, request):
    """A database with no schema yet, on the test's backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = server.create_empty()
    yield server.url_for(name)
    server.drop(name)


def _legacy_events(url: str, count: int) -> None:
    """Events as the version before the key wrote them (schema 0009): sha256-chained."""
    engine = create_engine(url)
    prev = audit.GENESIS
    with engine.begin() as conn:
        for n in range(1, count + 1):
            at = datetime.fromisoformat(f"2026-09-0{n}T08:00:00.25+00:00")
            detail = {"code": f"U{n}", "name": f"单位{n}"}
            digest = audit.legacy_digest(prev, at, "system", "unit.add", None, None, detail)
            conn.execute(
                text(
                    "INSERT INTO audit_events (at, actor, action, detail, prev_hash, hash) "
                    "VALUES (:at, 'system', 'unit.add', :detail, :prev, :hash)"
                ),
                {
                    "at": at.replace(tzinfo=None) if conn.dialect.name == "sqlite" else at,
                    "detail": json.dumps(detail, ensure_ascii=False),
                    "prev": prev,
                    "hash": digest,
                },
            )
            prev = digest
    engine.dispose()


def test_events_written_before_the_key_stay_verifiable_after_upgrading(empty_url, tmp_path):
    command.upgrade(alembic_config(empty_url), "0009")
    _legacy_events(empty_url, 3)
    upgrade(empty_url)  # migration 0013: the old events are numbered, chain version 1
    db = Database(empty_url, anchor=Anchor.in_folder(tmp_path))
    try:
        sealed = verifications.run(db, "cli", scope=VerificationScope.FULL)  # the upgrade step
        assert sealed.ok and sealed.legacy == 3, sealed.problems
        assert (tmp_path / "audit.key").exists()
        first = CheckpointLog(tmp_path / LOG_FILE_NAME).tail().first
        assert first is not None and first.kind == "seal" and first.count == 3
        with db.write() as session:
            org.add_unit(session, SYSTEM, "NEW", "新单位", "agency")
        db.anchor.flush()
        with db.read() as session:
            chains = session.scalars(select(AuditEvent.chain).order_by(AuditEvent.seq)).all()
            later = audit_verify.verify(session, db.anchor, full=True)
        assert chains == [1, 1, 1, 2, 2]  # the verification's own event, then the new unit
        assert later.ok and later.legacy == 3
        # an unsigned event appended after the signed ones is a forgery
        with db.write_engine.connect() as conn:
            tail = conn.execute(text("SELECT hash FROM audit_events ORDER BY seq DESC")).first()
            at = datetime.fromisoformat("2026-09-30T08:00:00+00:00")
            forged = audit.legacy_digest(tail.hash, at, "system", "unit.add", None, None, {})
            conn.execute(
                text(
                    "INSERT INTO audit_events (seq, chain, at, actor, action, detail, prev_hash,"
                    " hash) VALUES (6, 1, :at, 'system', 'unit.add', '{}', :prev, :hash)"
                ),
                {
                    "at": at.replace(tzinfo=None) if conn.dialect.name == "sqlite" else at,
                    "prev": tail.hash,
                    "hash": forged,
                },
            )
            conn.commit()
        with db.read() as session:
            report = audit_verify.verify(session, db.anchor)
        assert not report.ok
        assert "（第 6 个）没有签名，却写在启用审计密钥之后" in report.problems[0]
    finally:
        db.dispose()


def test_the_log_is_read_from_its_end_back_to_the_newest_verified_checkpoint(tmp_path):
    anchor = Anchor.in_folder(tmp_path)
    key = anchor.signing_key(0, audit.GENESIS, tail_signed=False)  # writes the seal
    for n in range(1, 3001):  # ~600 KiB: several blocks
        anchor.sign(VERIFIED if n == 1000 else "head", n, f"{n:064x}")
    with anchor.log.path.open("ab") as log:
        log.write(b'{"kind": "head", "cou')  # a line torn by a power cut
    tail = anchor.log.tail()
    assert tail.first is not None and tail.first.kind == "seal" and tail.first.valid(key)
    assert [c.count for c in tail.entries] == list(range(1000, 3001))
    assert tail.unreadable == 1
    assert all(c.valid(key) for c in tail.entries)


def test_an_edited_checkpoint_is_named(db):
    _busy(db)
    db.anchor.flush()
    lines = db.anchor.log.path.read_bytes().splitlines(keepends=True)
    record = json.loads(lines[-1])
    record["count"] -= 2  # someone shortens the signed head to match a shortened chain
    lines[-1] = json.dumps(record).encode() + b"\n"
    db.anchor.log.path.write_bytes(b"".join(lines))
    result = _verify()
    assert result.exit_code == 1
    assert "检查点（" in result.output and f"{record['count']} 个事件）的签名不符" in result.output
