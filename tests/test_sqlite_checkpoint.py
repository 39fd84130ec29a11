"""SQLite: what commits write reaches the database file itself in the background."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing

from app.services.actor import SYSTEM
from app.services.identity import org


def _in_file_alone(path: str, code: str) -> bool:
    """Whether the main database file (not its write-ahead log) holds the unit."""
    uri = f"file:{path}?mode=ro&immutable=1"  # immutable: the file as it is, no WAL
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        return conn.execute("SELECT 1 FROM units WHERE code = ?", (code,)).fetchone() is not None


def test_a_committed_write_is_copied_into_the_file_without_a_commit_doing_it(db, settings):
    path = str(settings.data_dir / "huajie.sqlite3")
    with db.write() as session:
        org.add_unit(session, SYSTEM, "NEWU", "新设单位", "agency")
    assert not _in_file_alone(path, "NEWU")  # committed to the WAL only
    deadline = time.monotonic() + 10
    while not _in_file_alone(path, "NEWU"):
        assert time.monotonic() < deadline, "the background checkpoint did not run"
        time.sleep(0.1)


def test_the_daily_statistics_give_the_planner_each_big_tables_shape(db):
    """Without ``sqlite_stat1`` the planner guesses; the daily job (03:30) samples every index."""
    from sqlalchemy import text

    from tests.helpers import register

    for n in range(3):
        register(db, court_case_no=f"（2026）苏0813行诉前{90 + n}号")
    with db.read() as session:
        assert not session.execute(
            text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        ).first()
    db.refresh_statistics()
    with db.read() as session:
        analysed = set(session.scalars(text("SELECT DISTINCT tbl FROM sqlite_stat1")))
    assert {"tasks", "process_instances", "audit_events", "cases"} <= analysed
