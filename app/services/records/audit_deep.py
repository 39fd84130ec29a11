"""``huajie audit verify --deep``: the audited tables against the digests their events carry.

The whole chain is verified first (``audit_verify``), and while it is read, the newest digest
of every covered row is kept (``audit_state`` says what they cover). Then every completed task,
instance, case, document and attachment is read and compared: a row that differs from its
newest digest, a row the chain says exists but the table lacks, and a row the chain never
covered are named. Tasks completed before the audit key existed are compared with the data
their ``task.complete`` event carries. Other rows last written before the key cannot be checked;
they are counted as not covered (in a database that never ran without the key there are none).
Archived rows (``archive_store``) are read too, after the main tables'.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import jsontext
from app.anchor import Anchor
from app.models import Attachment, Case, Document, ProcessInstance, TaskRecord
from app.models.audit import LEGACY_CHAIN
from app.models.states import TaskStatus
from app.services.records import archive_store, audit_state
from app.services.records.audit_verify import Verification, verify

_BATCH = 1000
KIND_NAMES = {
    "task": "任务", "instance": "流程实例", "case": "案件", "document": "文书",
    "attachment": "附件",
}  # fmt: skip


@dataclass
class DeepReport:
    checked: dict[str, int] = field(default_factory=dict)  # rows compared, by kind
    uncovered: dict[str, int] = field(default_factory=dict)  # rows written before the key
    problems: list[str] = field(default_factory=list)


class _Digests:
    """The newest digest of each covered row, with the event that carries it."""

    def __init__(self) -> None:
        self.latest: dict[str, tuple[str, int]] = {}
        self.legacy_tasks: dict[int, tuple[str, int]] = {}  # task id -> data digest, event
        self.legacy_events = 0

    def see(self, row: Any) -> None:
        event_id, chain, action, detail_text, state_text = row[0], row[2], row[5], row[8], row[9]
        if state_text:
            for key, digest in jsontext.loads(state_text).items():
                self.latest[key] = (digest, event_id)
        if chain == LEGACY_CHAIN:
            self.legacy_events += 1
            if action == "task.complete":
                detail = jsontext.loads(detail_text)
                data = audit_state.canonical_json(detail.get("data"))
                self.legacy_tasks[int(detail["task_id"])] = (_sha256(data), event_id)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stream(session: Session, statement: Any) -> Iterator[Any]:
    """The rows of the main tables, then the archive's (archived rows keep their digests)."""
    yield from session.execute(statement, execution_options={"yield_per": _BATCH})
    if archive_store.ready(session.connection()):
        with archive_store.archive_first(session):
            yield from session.execute(statement, execution_options={"yield_per": _BATCH})


def verify_deep(session: Session, anchor: Anchor | None, files: Path | None) -> Verification:
    """The whole chain, then every audited row (and attachment file, given ``files``)."""
    digests = _Digests()
    report = verify(session, anchor, full=True, on_event=digests.see)
    deep = report.deep = DeepReport()
    if not report.ok:
        deep.problems.append("审计链本身有异常，未比对业务数据")
        return report
    _Tables(session, digests, deep).check_all(files)
    if deep.problems:
        report.ok = False
        report.problems.extend(deep.problems)
    return report


class _Tables:
    def __init__(self, session: Session, digests: _Digests, deep: DeepReport) -> None:
        self.session = session
        self.digests = digests
        self.deep = deep
        # without unsigned history every row must be covered
        self.strict = digests.legacy_events == 0

    def check_all(self, files: Path | None) -> None:
        self._tasks()
        self._rows(
            "instance",
            select(ProcessInstance.id, ProcessInstance.definition_id, ProcessInstance.status,
                   ProcessInstance.state),
            lambda r: audit_state.instance_digest(r[1], r[2], r[3]),
        )  # fmt: skip
        self._rows(
            "case",
            select(Case.id, Case.outcome, Case.outcome_on, Case.judgment, Case.defendants,
                   Case.losing_units),
            lambda r: audit_state.case_digest(r[1], r[2], r[3], r[4], r[5]),
        )  # fmt: skip
        self._documents()
        if files is not None:
            self._attachments(files)

    def _problem(self, message: str) -> None:
        self.deep.problems.append(message)

    def _count(self, kind: str) -> None:
        self.deep.checked[kind] = self.deep.checked.get(kind, 0) + 1

    def _compare(self, kind: str, row_id: int, actual: str, named: str) -> None:
        """``actual`` against the newest digest of the row; ``named`` says what differs."""
        key = f"{kind}:{row_id}"
        recorded = self.digests.latest.pop(key, None)
        self._count(kind)
        if recorded is None:
            if self.strict:
                self._problem(f"{KIND_NAMES[kind]} #{row_id} 不在审计链中：它是绕过系统写入的")
            else:
                self.deep.uncovered[kind] = self.deep.uncovered.get(kind, 0) + 1
        elif recorded[0] != actual:
            self._problem(
                f"{KIND_NAMES[kind]} #{row_id} 的{named}与审计事件 #{recorded[1]} 记录的不符："
                "在数据库中被改动"
            )

    def _gone(self, kind: str) -> None:
        """Rows the chain vouches for that the table no longer has."""
        prefix = f"{kind}:"
        for key, (_, event_id) in sorted(self.digests.latest.items()):
            if key.startswith(prefix):
                self._problem(
                    f"{KIND_NAMES[kind]} #{key[len(prefix) :]} 记录在审计事件 #{event_id} 中，"
                    "数据库里却没有：被删除"
                )

    def _tasks(self) -> None:
        statement = select(
            TaskRecord.id, TaskRecord.status, TaskRecord.completed_by, TaskRecord.data,
            TaskRecord.name, TaskRecord.instance_id,
        ).where(TaskRecord.status == TaskStatus.COMPLETED)  # fmt: skip
        legacy = self.digests.legacy_tasks
        for task_id, status, completed_by, data, name, instance_id in _stream(
            self.session, statement
        ):
            named = f"提交数据（“{name}”，流程实例 #{instance_id}）"
            if f"task:{task_id}" in self.digests.latest:
                legacy.pop(task_id, None)
                actual = audit_state.task_digest(status, completed_by, data)
                self._compare("task", task_id, actual, named)
                continue
            recorded = legacy.pop(task_id, None)
            self._count("task")
            if recorded is None:
                self._problem(
                    f"任务 #{task_id}（“{name}”，流程实例 #{instance_id}）已办结，"
                    "但审计链中没有它的办结事件：办结记录是伪造的"
                )
            elif recorded[0] != _sha256(audit_state.canonical_json(data)):
                self._problem(
                    f"任务 #{task_id} 的{named}与审计事件 #{recorded[1]} 记录的不符："
                    "在数据库中被改动"
                )
        self._gone("task")
        for task_id, (_, event_id) in sorted(legacy.items()):
            self._problem(
                f"任务 #{task_id} 在审计事件 #{event_id} 中已办结，数据库里却不是：被删除或改回"
            )

    def _rows(self, kind: str, statement: Any, digest: Any) -> None:
        for row in _stream(self.session, statement):
            self._compare(kind, row[0], digest(row), "内容")
        self._gone(kind)

    def _documents(self) -> None:
        statement = select(Document.id, Document.sha256, Document.content, Document.name)
        for doc_id, sha256, content, name in _stream(self.session, statement):
            if _sha256(content) != sha256:
                self._problem(f"文书 #{doc_id}（{name}）的内容与登记的 sha256 不符：文件被替换")
            self._compare("document", doc_id, sha256, f"sha256（{name}）")
        self._gone("document")

    def _attachments(self, files: Path) -> None:
        statement = select(
            Attachment.id, Attachment.sha256, Attachment.storage_name, Attachment.name
        )
        for attachment_id, sha256, storage_name, name in _stream(self.session, statement):
            self._count("attachment")
            path = files / storage_name
            try:
                actual = _file_sha256(path)
            except FileNotFoundError:
                self._problem(f"附件 #{attachment_id}（{name}）的文件缺失：{path}")
                continue
            if actual != sha256:
                self._problem(
                    f"附件 #{attachment_id}（{name}）的文件与登记的 sha256 不符：被替换或损坏"
                )


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
