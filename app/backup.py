"""Consistent online copies of the SQLite database (``huajie backup`` / ``huajie restore``).

SQLite's backup API copies a consistent snapshot while the app keeps running. For PostgreSQL
use ``pg_dump``/``pg_restore``: they are the well-kept tools for it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    pass


def _sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise BackupError(
            "huajie backup/restore handle SQLite; for PostgreSQL use pg_dump/pg_restore"
        )
    return Path(parsed.database)


def backup(url: str, target: Path) -> Path:
    source = sqlite3.connect(_sqlite_path(url))
    try:
        destination = sqlite3.connect(target)
        with destination:
            source.backup(destination)
        destination.close()
    finally:
        source.close()
    return target


def restore(url: str, source_file: Path) -> None:
    """Replace the database's content with the backup's (run with the app stopped)."""
    check = sqlite3.connect(source_file)
    try:
        try:
            healthy = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            tables = {
                r[0] for r in check.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"不是有效的数据库文件：{source_file}") from exc
        if not healthy:
            raise BackupError(f"备份文件已损坏：{source_file}")
        if "audit_events" not in tables:
            raise BackupError(f"不是化解的数据库备份：{source_file}")
        target = sqlite3.connect(_sqlite_path(url))
        with target:
            check.backup(target)
        target.close()
    finally:
        check.close()
