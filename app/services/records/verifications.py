"""Running audit-chain verifications and recording them (the table ``audit_verifications``).

A verification is a row from the moment it starts (``begin``), so every server process sees it
running and the day's scheduled one runs in one process only: ``begin`` claims it under
the scheduler's advisory lock (on SQLite, the one writer at a time) and the others find it
claimed. The chain is then read outside any write transaction (``audit_verify.verify``); when it
is intact a verified checkpoint is signed into the anchor's log, so the next verification starts
there, and ``finish`` records the result with its audit event, alerting the administrators when
the chain is broken. The start writes no audit event: the chain is read as it was found (an
event of its own would, e.g., refill a deleted tail before it is counted); who started it is in
the row and in the result's event.

A row says what was verified; the range is trusted only while the checkpoint signature it carries
checks against the key (``trusted``): whoever can write the database can insert an "intact" row
but cannot sign it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import clock
from app.anchor import VERIFIED, Anchor, AnchorError, Checkpoint
from app.db import Database, exclusive
from app.models import AuditEvent, AuditVerification
from app.models.states import VerificationScope
from app.services.actor import SYSTEM, Actor
from app.services.notify import alerts
from app.services.records import audit, audit_deep
from app.services.records.audit_verify import Verification, verify
from app.services.uow import unit_of_work

log = logging.getLogger(__name__)
ACTION = "audit.verify"
DAILY_JOB = "audit-verify"  # the scheduler's advisory lock
STALE_AFTER = timedelta(hours=2)  # still running after this: its process died (it is ignored)


def _name(actor: Actor | str) -> str:
    return actor if isinstance(actor, str) else actor.username


def _since_midnight() -> datetime:
    return clock.to_utc(datetime.combine(clock.local_now().date(), time(), clock.SHANGHAI))


def running(session: Session) -> AuditVerification | None:
    """A verification underway in any process (not one abandoned by a process that died)."""
    return session.scalar(
        select(AuditVerification)
        .where(
            AuditVerification.ok.is_(None),
            AuditVerification.started_at > clock.now() - STALE_AFTER,
        )
        .order_by(AuditVerification.id.desc())
        .limit(1)
    )


def last(session: Session) -> AuditVerification | None:
    """The newest finished verification."""
    return session.scalar(
        select(AuditVerification)
        .where(AuditVerification.ok.is_not(None))
        .order_by(AuditVerification.id.desc())
        .limit(1)
    )


@unit_of_work
def begin(
    session: Session,
    actor: Actor | str,
    scope: VerificationScope,
    *,
    daily: bool = False,
    exclusive_of_others: bool = False,
) -> int | None:
    """Record that a verification starts; its id, or None when it is not to run: ``daily`` and
    the day's scheduled one is done or underway, or ``exclusive_of_others`` and one is running."""
    exclusive(session, DAILY_JOB)  # two processes deciding at once: one after the other
    if daily:
        claimed = session.scalar(
            select(AuditVerification.id)
            .where(
                AuditVerification.daily.is_(True),
                AuditVerification.started_at >= _since_midnight(),
                or_(
                    AuditVerification.ok.is_not(None),
                    AuditVerification.started_at > clock.now() - STALE_AFTER,
                ),
            )
            .limit(1)
        )
        if claimed is not None:
            return None
    if exclusive_of_others and running(session) is not None:
        return None
    row = AuditVerification(
        actor=_name(actor), scope=scope, daily=daily, started_at=clock.now(),
        events=0, checked=0, problems=[],
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row.id


@unit_of_work
def finish(
    session: Session,
    actor: Actor | str,
    verification_id: int,
    report: Verification,
    checkpoint: Checkpoint | None,
) -> AuditVerification:
    """Record the result (with its audit event); a broken chain alerts the administrators."""
    row = session.get_one(AuditVerification, verification_id)
    row.finished_at = clock.now()
    row.ok = report.ok
    row.events = report.events
    row.checked = report.checked
    row.first_seq = report.first_checked if report.checked else None
    row.last_seq = report.verified_count if report.checked else None
    row.broken_event_id = report.first_broken_id
    row.problems = report.problems[:10]
    if checkpoint is not None:
        row.verified_hash, row.checkpoint_at = checkpoint.hash, checkpoint.at
        row.checkpoint_mac, row.last_seq = checkpoint.mac, checkpoint.count
    audit.record(
        session, actor, ACTION, verification=row.id, ok=report.ok, scope=row.scope,
        events=report.events, checked=report.checked, first=row.first_seq, last=row.last_seq,
        problems=row.problems, broken_event=report.first_broken_id,
    )  # fmt: skip
    if not report.ok:
        alerts.alert_administrators(
            session,
            alerts.AUDIT,
            f"审计链校验失败：{report.problems[0]} "
            "请在“审计日志”页面或用 huajie audit verify --full 核查。",
        )
    return row


def run(
    db: Database,
    actor: Actor | str,
    *,
    scope: VerificationScope = VerificationScope.NEW,
    files: Path | None = None,
) -> Verification:
    """Verify the chain (``scope``: by default what the last verification left) and record the
    result."""
    verification_id = begin(db, actor, scope)
    assert verification_id is not None  # only the daily one, or one asked to wait, is declined
    return complete(db, actor, verification_id, scope, files)


def run_daily(db: Database) -> Verification | None:
    """The scheduler's daily job, which every server process runs: the first to claim the day's
    verification runs it, the others return None."""
    verification_id = begin(db, SYSTEM, VerificationScope.NEW, daily=True)
    if verification_id is None:
        return None
    return complete(db, SYSTEM, verification_id)


def complete(
    db: Database,
    actor: Actor | str,
    verification_id: int,
    scope: VerificationScope = VerificationScope.NEW,
    files: Path | None = None,
) -> Verification:
    """Read the chain for a verification ``begin`` recorded, sign a verified checkpoint when it
    is intact, record the result."""
    with db.read() as session:
        if scope == VerificationScope.DEEP:
            report = audit_deep.verify_deep(session, db.anchor, files)
        else:
            report = verify(session, db.anchor, full=scope == VerificationScope.FULL)
    checkpoint = None
    if report.ok and db.anchor is not None and report.events:
        try:
            if db.anchor.key() is None:  # a chain written before the key: it starts here, sealed
                db.anchor.signing_key(report.events, report.last_hash, tail_signed=False)
            checkpoint = db.anchor.sign(VERIFIED, report.verified_count, report.last_hash)
        except (OSError, AnchorError):  # e.g. a full disk: recorded unsigned, shown untrusted
            log.exception("verified checkpoint not written")
    finish(db, actor, verification_id, report, checkpoint)
    return report


def trusted(row: AuditVerification, key: bytes | None) -> bool:
    """Whether the range ``row`` says it verified is vouched for by its signed checkpoint."""
    if not row.ok or key is None or row.checkpoint_mac is None or row.last_seq is None:
        return False
    assert row.verified_hash is not None and row.checkpoint_at is not None
    checkpoint = Checkpoint(
        VERIFIED, row.last_seq, row.verified_hash, row.checkpoint_at, row.checkpoint_mac
    )
    return checkpoint.valid(key)


@dataclass
class ChainState:
    """What the audit page shows instead of verifying on every visit."""

    events: int  # the chain's length in the database
    last: AuditVerification | None  # the newest finished verification
    running: AuditVerification | None
    trusted: bool  # the last one's range is vouched for by its signed checkpoint
    key_present: bool


def state(session: Session, anchor: Anchor | None) -> ChainState:
    """Cheap at any size: the chain's head and two rows of ``audit_verifications``."""
    events = session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    key = None
    if anchor is not None:
        try:
            key = anchor.key()
        except AnchorError:
            key = None
    found = last(session)
    return ChainState(
        events=events or 0,
        last=found,
        running=running(session),
        trusted=found is not None and trusted(found, key),
        key_present=key is not None,
    )
