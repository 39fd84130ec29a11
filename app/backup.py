"""``huajie backup``: the SQLite database, the attachment files and the audit checkpoints in one
archive, which ``huajie restore`` (``app.restore``) checks whole before it replaces anything.

The archive is a tar file: ``huajie.sqlite3`` (a consistent online copy by SQLite's backup
API), ``huajie.archive.sqlite3`` (the archived instances' file, ``app/db.py``, when there is
one), ``attachments/<name>`` (the files the copy refers to), ``audit-checkpoints.jsonl`` and
``manifest.json`` (format, schema revision, the chain's length, and the size and sha256 of every
other member). The audit key is not in it: a backup must not carry what proves it authentic;
the key is kept apart (docs/operations.md). For PostgreSQL, ``pg_dump`` with the same files.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import shutil
import sqlite3
import tarfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import make_url

from app import clock
from app.anchor import LOG_FILE_NAME
from app.config import Settings
from app.db import archive_file

FORMAT = "huajie-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "huajie.sqlite3"
ARCHIVE_DATABASE = "huajie.archive.sqlite3"  # the archive (归档), when there is one
ATTACHMENTS = "attachments"
ATTACHMENT_NAME = re.compile(r"^attachments/[0-9a-f]{32}$")
KEY_NOTE = (
    "不含审计密钥：密钥文件（HUAJIE_AUDIT_KEY_FILE，默认为数据目录中的 audit.key）"
    "须与备份分开保管，恢复时放回原处"
)


class BackupError(RuntimeError):
    pass


@dataclass
class Archived:
    path: Path
    events: int
    attachments: int


def sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise BackupError(
            "huajie backup/restore 只处理 SQLite；PostgreSQL 请用 pg_dump/pg_restore 并备份"
            "附件和审计检查点（见 docs/operations.md）"
        )
    return Path(parsed.database)


class _Hashing(io.RawIOBase):
    """A file read through once: its sha256 on the way into the archive."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.sha256.update(data)
        return data


def _add(archive: tarfile.TarFile, path: Path, name: str, members: dict[str, Any]) -> None:
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mode = 0o600
    info.mtime = int(clock.wall_now().timestamp())
    with path.open("rb") as handle:
        hashing = _Hashing(handle)
        archive.addfile(info, hashing)
    members[name] = {"size": info.size, "sha256": hashing.sha256.hexdigest()}


def _database_facts(path: Path) -> tuple[str, int, list[str]]:
    """The schema revision, the audit chain's length and the attachments' file names."""
    with closing(sqlite3.connect(path)) as copy:
        revision = copy.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        events = copy.execute("SELECT count(*) FROM audit_events").fetchone()[0]
        names = [r[0] for r in copy.execute("SELECT storage_name FROM attachments")]
    return revision, events, names


def _archived_attachments(path: Path) -> list[str]:
    """The file names of the archive's attachment rows (none before the first archiving)."""
    with closing(sqlite3.connect(path)) as copy:
        tables = {r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "attachments" not in tables:
            return []
        return [r[0] for r in copy.execute("SELECT storage_name FROM attachments")]


def _copy_archive(settings: Settings, work: Path) -> Path | None:
    """The archive's consistent copy, taken after the database's: rows archived meanwhile are
    in one copy or both (the archive gets a row before the database loses it), never neither."""
    live = Path(archive_file(settings.database_url))
    if not live.exists():
        return None
    copy = work / ARCHIVE_DATABASE
    with closing(sqlite3.connect(live)) as source, closing(sqlite3.connect(copy)) as dest:
        source.backup(dest)
    return copy


def backup(settings: Settings, target: Path) -> Archived:
    """Write the archive to ``target`` (while the app keeps running)."""
    database = sqlite_path(settings.database_url)
    target = target.resolve()
    work = target.parent / f".{target.name}.{secrets.token_hex(4)}"
    work.mkdir(parents=True)
    try:
        # the checkpoints first: each counts events that the copy taken after it holds
        checkpoints = work / LOG_FILE_NAME
        log = settings.data_dir / LOG_FILE_NAME
        if log.exists():
            shutil.copyfile(log, checkpoints)
        copy = work / DATABASE
        with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(copy)) as dest:
            source.backup(dest)
        revision, events, names = _database_facts(copy)
        archived = _copy_archive(settings, work)
        if archived is not None:
            names = sorted(set(names) | set(_archived_attachments(archived)))
        members: dict[str, Any] = {}
        partial = work / "archive.tar"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as archive:
            _add(archive, copy, DATABASE, members)
            if archived is not None:
                _add(archive, archived, ARCHIVE_DATABASE, members)
            if checkpoints.exists():
                _add(archive, checkpoints, LOG_FILE_NAME, members)
            # the files the copy refers to: each was written before its row was committed
            for name in sorted(names):
                _add(
                    archive,
                    settings.data_dir / ATTACHMENTS / name,
                    f"{ATTACHMENTS}/{name}",
                    members,
                )
            manifest = {
                "format": FORMAT, "version": FORMAT_VERSION,
                "created_at": clock.now().isoformat(), "schema": revision, "events": events,
                "members": members, "audit_key": KEY_NOTE,
            }  # fmt: skip
            body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(body), 0o600
            info.mtime = int(clock.wall_now().timestamp())
            archive.addfile(info, io.BytesIO(body))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
    except FileNotFoundError as exc:
        raise BackupError(f"备份失败：文件缺失 {exc.filename}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Archived(target, events, len(names))
