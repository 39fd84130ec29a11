"""`huajie backup` makes a consistent online copy; `huajie restore` brings it back."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from app.cli import main
from app.models import Case
from app.services import audit
from tests.helpers import register


def _cases(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count(Case.id)))


def test_backup_then_restore_brings_back_the_state(db, tmp_path):
    register(db)
    copy = tmp_path / "copy.sqlite3"
    result = CliRunner().invoke(main, ["backup", str(copy)], catch_exceptions=False)
    assert result.exit_code == 0
    register(db, court_case_no="（2026）苏0813行诉前99号")  # after the backup
    assert _cases(db) == 2
    db.dispose()
    result = CliRunner().invoke(main, ["restore", str(copy)], catch_exceptions=False)
    assert result.exit_code == 0
    assert _cases(db) == 1
    with db.read() as session:
        assert audit.verify(session).ok


def test_restore_refuses_a_file_that_is_not_a_backup(db, tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    result = CliRunner().invoke(main, ["restore", str(junk)])
    assert result.exit_code == 2
    assert "不是有效的数据库文件" in result.output
    assert _cases(db) == 0
