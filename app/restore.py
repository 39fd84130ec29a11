"""``huajie restore``: a backup (``app.backup``) checked whole, then put in place.

Everything is unpacked into a staging folder inside the data folder and checked before anything
is replaced: the manifest and every member's size and sha256, that the database (and the archive
file, when the backup has one) is sound and of a schema this version knows, and that the audit
key in place signed the backup's checkpoints.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import tarfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from app import clock
from app.anchor import LOG_FILE_NAME, Anchor, AnchorError, CheckpointLog
from app.backup import (
    ARCHIVE_DATABASE,
    ATTACHMENT_NAME,
    ATTACHMENTS,
    DATABASE,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    BackupError,
    sqlite_path,
)
from app.config import Settings
from app.db import archive_file


@dataclass
class Staged:
    folder: Path
    manifest: dict[str, Any]

    @property
    def database(self) -> Path:
        return self.folder / DATABASE


@contextmanager
def staged(settings: Settings, source: Path) -> Iterator[Staged]:
    """The archive unpacked into the data folder's staging area and checked: manifest, every
    member's size and sha256, the database, its schema, and the key against its checkpoints.
    Every problem found is raised at once; the staging area is removed in any case."""
    folder = settings.data_dir / f".restore-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    try:
        problems: list[str] = []
        manifest = _unpack(source, folder, problems)
        if manifest is not None and not problems:
            _check_database(settings, folder / DATABASE, manifest, problems)
            if (folder / ARCHIVE_DATABASE).exists():
                _check_archive(folder / ARCHIVE_DATABASE, problems)
            _check_key(settings, folder / LOG_FILE_NAME, problems)
        if problems:
            listed = "\n".join(f"  - {p}" for p in problems)
            raise BackupError(f"备份文件 {source} 未通过检查，未作任何改动：\n{listed}")
        assert manifest is not None
        yield Staged(folder, manifest)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _unpack(source: Path, folder: Path, problems: list[str]) -> dict[str, Any] | None:
    found: dict[str, dict[str, Any]] = {}
    manifest: dict[str, Any] | None = None
    opened = False
    try:
        with tarfile.open(source, mode="r:") as archive:
            opened = True
            for member in archive:
                name = member.name
                if not member.isfile() or not (
                    name in (DATABASE, ARCHIVE_DATABASE, LOG_FILE_NAME, MANIFEST)
                    or ATTACHMENT_NAME.match(name)
                ):
                    problems.append(f"归档中有不属于化解备份的成员：{name}")
                    continue
                handle = archive.extractfile(member)
                assert handle is not None
                if name == MANIFEST:
                    manifest = _manifest(handle.read(), problems)
                else:
                    found[name] = _extract(handle, folder / name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        if opened:
            problems.append(f"归档已损坏，无法读完：{exc}")
        else:
            problems.append(f"不是化解的备份文件（无法作为 tar 归档读取：{exc}）")
        return None
    if manifest is None:
        if not problems:
            problems.append("不是化解的备份：缺少清单 manifest.json")
        return None
    expected: dict[str, Any] = manifest.get("members", {})
    for name in sorted(set(expected) | set(found)):
        if name not in found:
            problems.append(f"清单中的 {name} 不在归档中")
        elif name not in expected:
            problems.append(f"归档中的 {name} 不在清单中")
        elif found[name] != expected[name]:
            problems.append(f"{name} 的大小或 sha256 与清单不符：文件已损坏或被改动")
    if DATABASE not in expected:
        problems.append("备份中没有数据库")
    return manifest


def _manifest(raw: bytes, problems: list[str]) -> dict[str, Any] | None:
    try:
        manifest = json.loads(raw)
    except ValueError:
        problems.append("清单 manifest.json 不是有效的 JSON")
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        problems.append("不是化解的备份：清单格式不对")
        return None
    if manifest.get("version") != FORMAT_VERSION:
        problems.append(f"备份格式版本 {manifest.get('version')} 不为此版本的化解所知")
        return None
    return manifest


def _extract(handle: IO[bytes], path: Path) -> dict[str, Any]:
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return {"size": size, "sha256": digest.hexdigest()}


def _check_database(
    settings: Settings, path: Path, manifest: dict[str, Any], problems: list[str]
) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from app.migrate import alembic_config

    try:
        with closing(sqlite3.connect(path)) as check:
            healthy = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            tables = {
                r[0] for r in check.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            revision = (
                check.execute("SELECT version_num FROM alembic_version").fetchone()[0]
                if "alembic_version" in tables
                else None
            )
    except sqlite3.DatabaseError as exc:
        problems.append(f"备份中的数据库无法打开：{exc}")
        return
    if not healthy:
        problems.append("备份中的数据库已损坏（integrity_check 未通过）")
    if "audit_events" not in tables or revision is None:
        problems.append("备份中的数据库不是化解的数据库")
        return
    if revision != manifest.get("schema"):
        problems.append(f"数据库结构版本 {revision} 与清单记录的 {manifest.get('schema')} 不符")
    scripts = ScriptDirectory.from_config(alembic_config(settings.database_url))
    try:
        known = scripts.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        problems.append(f"备份的数据库结构版本 {revision} 不为此版本的化解所知（来自更新的版本？）")


def _check_archive(path: Path, problems: list[str]) -> None:
    try:
        with closing(sqlite3.connect(path)) as check:
            healthy = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError as exc:
        problems.append(f"备份中的归档库无法打开：{exc}")
        return
    if not healthy:
        problems.append("备份中的归档库已损坏（integrity_check 未通过）")


def _check_key(settings: Settings, checkpoints: Path, problems: list[str]) -> None:
    """The key in place must be the one that signed the archive's checkpoints: restoring
    without it would leave a chain nobody can verify or extend."""
    entries = CheckpointLog(checkpoints).tail().entries
    if not entries:
        return
    anchor = Anchor.in_folder(settings.data_dir, settings.audit_key_file)
    try:
        key = anchor.key()
    except AnchorError as exc:
        problems.append(str(exc))
        return
    if key is None:
        problems.append(
            f"审计密钥文件不存在：{anchor.key_file}。请先放回备份时所用的密钥文件（它不在备份中）"
        )
    elif not entries[-1].valid(key):
        problems.append(f"审计密钥 {anchor.key_file} 不是签名这份备份的密钥：请放回原来的密钥文件")


def restore(settings: Settings, source: Path) -> dict[str, Any]:
    """Check the whole archive, then replace the database, the attachments and the
    checkpoints together (run with the app stopped). Returns the archive's manifest."""
    database = sqlite_path(settings.database_url)
    data = settings.data_dir
    with staged(settings, source) as archive:
        stamp = clock.wall_now().strftime("%Y%m%d%H%M%S")
        aside = data / f".restore-old-{secrets.token_hex(4)}"
        aside.mkdir()
        moved_aside: list[str] = []
        placed: list[str] = []
        try:
            for name in (ATTACHMENTS, LOG_FILE_NAME):
                if (data / name).exists():
                    os.replace(data / name, aside / name)
                    moved_aside.append(name)
                if (archive.folder / name).exists():
                    os.replace(archive.folder / name, data / name)
                    placed.append(name)
            (data / ATTACHMENTS).mkdir(exist_ok=True)
            # one write transaction on the live file: all of the copy or nothing
            with (
                closing(sqlite3.connect(archive.database)) as source_db,
                closing(sqlite3.connect(database)) as target,
            ):
                source_db.backup(target)
            # the archive as it was backed up; empty when the backup had none
            staged_archive = archive.folder / ARCHIVE_DATABASE
            with (
                closing(
                    sqlite3.connect(staged_archive if staged_archive.exists() else ":memory:")
                ) as source_db,
                closing(sqlite3.connect(archive_file(settings.database_url))) as target,
            ):
                source_db.backup(target)
        except BaseException:
            for name in placed:
                _remove(data / name)
            for name in moved_aside:
                os.replace(aside / name, data / name)
            shutil.rmtree(aside, ignore_errors=True)
            raise
        # the replaced checkpoints are kept, as evidence of what the restore rolled back
        if LOG_FILE_NAME in moved_aside:
            kept = data / f"audit-checkpoints.before-restore-{stamp}.jsonl"
            os.replace(aside / LOG_FILE_NAME, kept)
        shutil.rmtree(aside, ignore_errors=True)
        return archive.manifest


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
