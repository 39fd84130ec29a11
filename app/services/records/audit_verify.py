"""Verifying the audit chain against its anchor outside the database (``app.anchor``).

By default a verification starts at the newest *verified* checkpoint: the signed record that an
earlier verification checked every event up to it. Its event must still carry the hash the
checkpoint signed (so nothing before it was removed, inserted or recomputed), and only the events
after it are read: each must follow its predecessor, carry a valid HMAC (or, before the key
existed, sha256) and agree with every signed checkpoint met on the way. ``full`` reads the chain
from its first event; ``deep`` also compares the audited tables with the digests the events
carry (``audit_deep``). In every mode the newest checkpoint must not count more events than the
database holds: a removed tail is named with the events missing.

Running one and recording its result: ``verifications``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from app import clock, jsontext
from app.anchor import VERIFIED, Anchor, AnchorError, Checkpoint, LogTail
from app.models import AuditEvent
from app.models.audit import LEGACY_CHAIN, SIGNED_CHAIN
from app.services.records import audit

_BATCH = 5000
_ROW = (
    AuditEvent.id, AuditEvent.seq, AuditEvent.chain, AuditEvent.at, AuditEvent.actor,
    AuditEvent.action, AuditEvent.instance_id, AuditEvent.case_id,
    cast(AuditEvent.detail, Text), cast(AuditEvent.state, Text),
    AuditEvent.prev_hash, AuditEvent.hash,
)  # fmt: skip


def _when(checkpoint: Checkpoint) -> str:
    return clock.to_local(checkpoint.at).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Verification:
    ok: bool
    full: bool
    events: int  # the chain's length in the database
    checked: int = 0  # events read and checked this time
    first_checked: int = 0  # the place in the chain of the first of them
    last_hash: str = ""  # the hash of the last event checked (what a verified checkpoint signs)
    legacy: int = 0  # events checked that were chained before the key existed
    start: Checkpoint | None = None  # the verified checkpoint it started from
    latest: Checkpoint | None = None  # the newest signed checkpoint
    problems: list[str] = field(default_factory=list)  # the first is what broke first
    notes: list[str] = field(default_factory=list)  # worth saying, not a failure
    first_broken_id: int | None = None
    deep: Any = None  # audit_deep.DeepReport when asked for

    @property
    def reason(self) -> str:
        return self.problems[0] if self.problems else ""

    @property
    def start_count(self) -> int:
        return self.start.count if self.start else 0

    @property
    def verified_count(self) -> int:
        """The place of the last event checked (what a verified checkpoint signs)."""
        return self.start_count + self.checked

    def summary(self) -> str:
        """One line in Chinese, for the command line, the page and the alert."""
        scope = (
            f"完整校验第 1–{self.events} 个事件"
            if self.start is None
            else f"增量校验：自 {_when(self.start)} 已校验的第 {self.start.count} 个事件起，"
            f"新校验 {self.checked} 个"
        )
        if self.ok:
            return f"审计链完整：数据库共 {self.events} 个事件，{scope}，逐条核对通过。"
        return f"审计链异常：{self.problems[0]}（{scope}）"


def _fail(report: Verification, message: str, event_id: int | None = None) -> None:
    report.ok = False
    report.problems.append(message)
    if event_id is not None and report.first_broken_id is None:
        report.first_broken_id = event_id


def _checkpoints(
    report: Verification, anchor: Anchor | None, key: bytes | None
) -> tuple[list[Checkpoint], int | None, LogTail]:
    """The signed checkpoints read from the log's end, and how many events may be unsigned."""
    tail = anchor.log.tail() if anchor is not None else LogTail(None, [], 0, exists=False)
    read = list(tail.entries)
    if tail.first is not None and tail.first not in read:
        read.insert(0, tail.first)
    if read and key is None:
        _fail(
            report, f"审计密钥文件不存在：{anchor.key_file if anchor else ''}，无法核对签名检查点"
        )
        return [], None, tail
    good = []
    for checkpoint in read:
        if checkpoint.valid(key):  # type: ignore[arg-type]
            good.append(checkpoint)
        else:
            _fail(
                report,
                f"检查点（{_when(checkpoint)}，{checkpoint.count} 个事件）的签名不符："
                "检查点文件被改动，或密钥已不是写入它的那一个",
            )
    first = tail.first if tail.first in good else None
    return good, (first.count if first is not None else None), tail


def verify(
    session: Session,
    anchor: Anchor | None,
    *,
    full: bool = False,
    on_event: Callable[[Any], None] | None = None,
) -> Verification:
    """Check the chain (incrementally unless ``full``); ``on_event`` sees every row checked."""
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.chain).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    events, head_signed = (head[0], head[1] == SIGNED_CHAIN) if head else (0, False)
    report = Verification(ok=True, full=full, events=events)
    try:
        key = anchor.key() if anchor is not None else None
    except AnchorError as exc:
        _fail(report, str(exc))
        key = None
    good, legacy_limit, tail = _checkpoints(report, anchor, key)
    if head_signed and not good and report.ok:
        where = anchor.log.path if anchor is not None else "（未配置）"
        _fail(report, f"审计链已签名，但检查点文件缺失或为空：{where}")
    report.latest = max(good, key=lambda c: c.count, default=None)
    latest = report.latest
    if latest is not None and events < latest.count:
        _fail(
            report,
            f"检查点（{_when(latest)} 签名）记录了 {latest.count} 个事件，数据库只有 {events} 个："
            f"第 {events + 1}–{latest.count} 个事件缺失",
        )
    verified = [c for c in good if c.kind == VERIFIED and c.count <= events]
    if not full and verified:
        report.start = max(verified, key=lambda c: c.count)
    prev, signed_seen = audit.GENESIS, False
    if report.start is not None:
        row = session.execute(
            select(AuditEvent.id, AuditEvent.hash, AuditEvent.chain).where(
                AuditEvent.seq == report.start.count
            )
        ).first()
        if row is None or row.hash != report.start.hash:
            _fail(
                report,
                f"第 {report.start.count} 个事件"
                + (f"（#{row.id}）" if row is not None else "")
                + f"已不是 {_when(report.start)} 校验时的那一个：此前的事件被删除、插入或改写",
                row.id if row is not None else None,
            )
            return report
        prev, signed_seen = row.hash, row.chain == SIGNED_CHAIN
    _walk(session, report, key, prev, signed_seen, legacy_limit, good, on_event)
    if tail.unreadable:
        report.notes.append(f"检查点文件中有 {tail.unreadable} 行无法读取（已忽略，如断电截断）")
    return report


def _walk(
    session: Session,
    report: Verification,
    key: bytes | None,
    prev: str,
    signed_seen: bool,
    legacy_limit: int | None,
    checkpoints: list[Checkpoint],
    on_event: Callable[[Any], None] | None,
) -> None:
    after = report.start_count
    expected = {c.count: c for c in checkpoints if c.count > after}
    # Core rows, not the ORM's (a third less time a row: the walk reads millions)
    rows = session.connection().execute(
        select(*_ROW).where(AuditEvent.seq > after).order_by(AuditEvent.seq),
        execution_options={"yield_per": _BATCH},
    )
    place = after
    report.first_checked = after + 1
    for row in rows:
        (event_id, seq, chain, at, actor, action, instance_id, case_id,
         detail_text, state_text, prev_hash, stored_hash) = row  # fmt: skip
        place += 1
        named = f"事件 #{event_id}（第 {seq} 个）"
        if seq != place:
            _fail(report, f"第 {place}–{seq - 1} 个事件缺失：事件被删除", event_id)
            return
        if prev_hash != prev:
            _fail(report, f"{named}的前一哈希不符：之前的事件被删除、插入或替换", event_id)
            return
        if chain == LEGACY_CHAIN:
            if signed_seen or (legacy_limit is not None and seq > legacy_limit):
                _fail(
                    report, f"{named}没有签名，却写在启用审计密钥之后：它是伪造或被改写的", event_id
                )
                return
            digest = audit.legacy_digest(
                prev, at, actor, action, instance_id, case_id, jsontext.loads(detail_text)
            )
            report.legacy += 1
        else:
            signed_seen = True
            if key is None:
                _fail(report, f"{named}已签名，但审计密钥文件不存在，无法核对", event_id)
                return
            digest = audit.signed_digest(
                key, prev, seq, at, actor, action, instance_id, case_id, detail_text, state_text
            )
        if digest != stored_hash:
            reason = (
                "内容与其签名（HMAC）不符：事件被修改，或哈希链被不持有密钥的人重新计算"
                if chain == SIGNED_CHAIN
                else "内容与哈希不符：事件被修改"
            )
            _fail(report, f"{named}的{reason}", event_id)
            return
        checkpoint = expected.get(seq)
        if checkpoint is not None and checkpoint.hash != stored_hash:
            _fail(
                report,
                f"{_when(checkpoint)} 签名的检查点记录的第 {seq} 个事件与数据库中的不同："
                "审计链被改写",
                event_id,
            )
            return
        prev = stored_hash
        report.checked += 1
        report.last_hash = stored_hash
        if on_event is not None:
            on_event(row)
    if report.checked == 0 and report.start is not None:
        report.last_hash = report.start.hash
