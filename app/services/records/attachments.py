"""Uploaded attachments: name, size, type and (for zip containers) expansion checked, each
unit's total held to its quota, stored outside the web root under random names; a file whose
transaction does not commit is removed again."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app import clock, inputs
from app.config import ATTACHMENT_QUOTA_MB
from app.errors import InvalidInput, NotFound
from app.models import Attachment, Unit
from app.services import district_settings
from app.services.actor import Actor
from app.services.records import archive_store, archives
from app.services.uow import unit_of_work

MAX_BYTES = 20 * 1024 * 1024  # a file
# a request: a submission's files and fields together (a form may carry several files; a
# single file of MAX_BYTES must reach the check above, which names its limit)
MAX_REQUEST_BYTES = 64 * 1024 * 1024
# extension -> (content type served back, magic prefixes accepted; empty = text-like)
TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF",)),
    ".png": ("image/png", (b"\x89PNG",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK",)),
    ".doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    ".xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    ".ofd": ("application/ofd", (b"PK",)),
    ".zip": ("application/zip", (b"PK",)),
    ".txt": ("text/plain; charset=utf-8", ()),
}
ZIP_CONTAINERS = {".zip", ".docx", ".xlsx", ".ofd"}
MAX_NAME = 255  # Attachment.name


class QuotaExceeded(InvalidInput):
    status = 413


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes


def _problem(upload: Upload) -> str | None:
    name = Path(upload.name or "").name
    if not name:
        return "文件名为空"
    bad_name = inputs.text_problem(name, MAX_NAME)
    if bad_name:
        return f"文件名有误：{bad_name}"
    ext = Path(name).suffix.lower()
    if ext not in TYPES:
        return f"不支持的文件类型：{name}（可上传 {'、'.join(sorted(TYPES))}）"
    if len(upload.content) > MAX_BYTES:
        return f"文件过大：{name}（上限 {MAX_BYTES // 1024 // 1024} MiB）"
    if not upload.content:
        return f"文件为空：{name}"
    magics = TYPES[ext][1]
    if magics and not any(upload.content.startswith(m) for m in magics):
        return f"文件内容与类型不符：{name}"
    if not magics:
        try:
            upload.content.decode("utf-8")
        except UnicodeDecodeError:
            return f"文本文件须为 UTF-8 编码：{name}"
    if ext in ZIP_CONTAINERS:
        archive = archives.problem(upload.content)
        if archive:
            return f"{archive}：{name}"
    return None


def check(field: str, uploads: list[Upload]) -> dict[str, list[str]]:
    problems = [p for p in (_problem(u) for u in uploads) if p]
    return {field: problems} if problems else {}


def placeholder(upload: Upload) -> dict[str, Any]:
    """What validation sees before the file is stored."""
    return {
        "id": 0,
        "name": Path(upload.name).name,
        "size": len(upload.content),
        "sha256": hashlib.sha256(upload.content).hexdigest(),
    }


@unit_of_work
def store(
    session: Session, actor: Actor, storage: Path, upload: Upload, field: str = "file"
) -> Attachment:
    """Check and keep one uploaded file; a problem is a 400 naming ``field``."""
    problem = _problem(upload)
    if problem:
        raise InvalidInput(problem, {field: [problem]})
    _check_quota(session, actor, upload, field)
    storage.mkdir(parents=True, exist_ok=True)
    storage_name = secrets.token_hex(16)
    path = storage / storage_name
    path.write_bytes(upload.content)
    # the transaction may still fail (a later file, the step itself): then the file goes too
    event.listen(session, "after_rollback", lambda _session: path.unlink(missing_ok=True))
    name = Path(upload.name).name
    row = Attachment(
        name=name,
        content_type=TYPES[Path(name).suffix.lower()][0],
        size=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest(),
        storage_name=storage_name,
        created_at=clock.now(),
        created_by=actor.username,
        unit_id=actor.unit_id,
    )
    session.add(row)
    session.flush()
    return row


def _check_quota(session: Session, actor: Actor, upload: Upload, field: str) -> None:
    """The unit's attachments, this one included, within the setting (in MiB)."""
    if actor.unit_id is None:
        return
    if session.get_bind().dialect.name == "postgresql":  # concurrent uploads count in turn
        session.execute(select(Unit.id).where(Unit.id == actor.unit_id).with_for_update())
    quota_mb = district_settings.get(session, ATTACHMENT_QUOTA_MB)
    limit = quota_mb * 1024 * 1024
    used = int(
        session.scalar(
            select(func.coalesce(func.sum(Attachment.size), 0)).where(
                Attachment.unit_id == actor.unit_id
            )
        )
        or 0
    )
    if archive_store.ready(session.connection()):  # archived rows' files are still on disk
        archived = archive_store.TABLES["attachments"]
        total = func.coalesce(func.sum(archived.c.size), 0)
        used += int(session.scalar(select(total).where(archived.c.unit_id == actor.unit_id)) or 0)
    if used + len(upload.content) > limit:
        message = (
            f"本单位附件已达上限 {quota_mb} MiB（已用 {_mib(used)} MiB），"
            f"无法再上传 {Path(upload.name).name}（{_mib(len(upload.content))} MiB）；"
            "请清理或联系管理员调整附件配额"
        )
        raise QuotaExceeded(message, {field: [message]})


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


def resolve(session: Session, actor: Actor, refs: Any, field: str) -> list[dict[str, Any]]:
    """Attachment references given by id (API) -> their stored metadata; unknown ids are errors."""
    if not isinstance(refs, list):
        raise InvalidInput("附件格式不正确", {field: ["应为附件列表"]})
    resolved = []
    for ref in refs:
        ident = ref.get("id") if isinstance(ref, dict) else ref
        row = session.get(Attachment, ident) if isinstance(ident, int) else None
        if row is None or row.created_by != actor.username or row.task_record_id is not None:
            raise InvalidInput(
                "附件不存在或不可使用", {field: [f"附件 {ident!r} 不存在或已被使用"]}
            )
        resolved.append(row.as_ref())
    return resolved


def get(session: Session, attachment_id: int) -> Attachment:
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("附件不存在")
    return row
