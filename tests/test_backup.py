"""``huajie backup`` writes the database, the attachment files and the audit checkpoints into one
archive; ``huajie restore`` checks all of it before it replaces anything (SQLite; PostgreSQL's
procedure is tested in ``test_backup_postgres.py``)."""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.anchor import KEY_FILE_NAME
from app.cli import main
from app.config import Settings
from app.db import Database
from app.models import Case
from app.services.actor import SYSTEM
from app.services.identity import org
from app.web.factory import create_app
from tests.helpers import register
from tests.samples import PathData, load

PDF = b"%PDF-1.4 \x00\x01\x02 materials \xff" * 50


@pytest.fixture
def backups(tmp_path_factory) -> Path:
    """Where archives go: outside the data folder (which is the test's tmp_path)."""
    return tmp_path_factory.mktemp("backups")


def _cases(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count(Case.id)))


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _upload_and_use(app) -> int:
    """An agency uploads a file and submits it with a task (API); returns the attachment id."""
    db = app.extensions["huajie.db"]
    with db.write() as session:
        token = org.create_token(session, SYSTEM, "gtzy")
    client = app.test_client()
    client.post(
        "/api/v1/processes/major_enforcement_decision/instances", json={}, headers=_h(token)
    )
    (task,) = client.get("/api/v1/tasks", headers=_h(token)).json
    uploaded = client.post(
        "/api/v1/attachments", data={"file": (io.BytesIO(PDF), "证据.pdf")}, headers=_h(token)
    ).json
    data = PathData(load("major_enforcement_decision")["paths"]["passed_first_time"]).next(
        "draft_decision"
    )
    data["materials"] = [{"id": uploaded["id"]}]
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=_h(token)
    )
    assert done.status_code == 200, done.json
    return uploaded["id"]


def _backup(target: Path) -> None:
    result = CliRunner().invoke(main, ["backup", str(target)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "审计密钥不在备份中" in result.output


def _restore(source: Path):
    return CliRunner().invoke(main, ["restore", str(source)], catch_exceptions=False)


def test_restore_into_a_fresh_data_folder_brings_every_attachment_back(
    app, db, settings, tmp_path, monkeypatch, backups
):
    attachment_id = _upload_and_use(app)
    archive = backups / "huajie-backup.tar"
    _backup(archive)
    with tarfile.open(archive) as tar:
        assert KEY_FILE_NAME not in tar.getnames()  # the key is kept apart
    db.dispose()

    fresh = tmp_path / "new-machine"
    fresh.mkdir()
    shutil.copyfile(settings.audit_key_file, fresh / KEY_FILE_NAME)  # brought back separately
    monkeypatch.setenv("HUAJIE_DATA", str(fresh))
    result = _restore(archive)
    assert result.exit_code == 0, result.output
    assert "审计链完整" in result.output
    restored = create_app(Settings.from_env())
    restored.config.update(TESTING=True)
    with restored.extensions["huajie.db"].write() as session:
        token = org.create_token(session, SYSTEM, "gtzy")
    download = restored.test_client().get(f"/api/v1/attachments/{attachment_id}", headers=_h(token))
    assert download.status_code == 200
    assert download.data == PDF
    deep = CliRunner().invoke(main, ["audit", "verify", "--deep"], catch_exceptions=False)
    assert deep.exit_code == 0, deep.output
    restored.extensions["huajie.db"].dispose()


def test_restore_rolls_back_what_came_after_the_backup_and_the_chain_verifies(
    db, tmp_path, backups
):
    register(db)
    archive = backups / "b.tar"
    _backup(archive)
    register(db, court_case_no="（2026）苏0813行诉前99号")  # after the backup
    assert _cases(db) == 2
    db.dispose()  # the app stops
    result = _restore(archive)
    assert result.exit_code == 0, result.output
    assert _cases(db) == 1
    assert "审计链完整" in result.output  # the restored checkpoints match the restored chain
    kept = list(db.anchor.log.path.parent.glob("audit-checkpoints.before-restore-*.jsonl"))
    assert len(kept) == 1  # what the restore rolled back stays on record


def _snapshot(data_dir: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(data_dir)): p.read_bytes()
        for p in sorted(data_dir.rglob("*"))
        if p.is_file() and not p.name.endswith(("-wal", "-shm", ".lock"))
    }


def _flip(archive: Path, member: str) -> None:
    """Damage one byte in the middle of a member's content."""
    with tarfile.open(archive) as tar:
        info = tar.getmember(member)
    raw = bytearray(archive.read_bytes())
    raw[info.offset_data + info.size // 2] ^= 0xFF
    archive.write_bytes(bytes(raw))


def test_a_corrupted_archive_is_refused_and_the_current_data_untouched(
    app, db, settings, tmp_path, backups
):
    _upload_and_use(app)
    archive = backups / "b.tar"
    _backup(archive)
    with tarfile.open(archive) as tar:
        attachment = next(n for n in tar.getnames() if n.startswith("attachments/"))
    _flip(archive, "huajie.sqlite3")
    _flip(archive, attachment)
    register(db, court_case_no="（2026）苏0813行诉前99号")  # the current data differs from it
    db.dispose()
    before = _snapshot(settings.data_dir)
    assert _cases(db) == 1
    result = _restore(archive)
    assert result.exit_code == 2
    assert "未作任何改动" in result.output
    assert "huajie.sqlite3 的大小或 sha256 与清单不符" in result.output  # every problem at once
    assert f"{attachment} 的大小或 sha256 与清单不符" in result.output
    assert _snapshot(settings.data_dir) == before
    assert _cases(db) == 1  # the case registered after the backup is still there


def test_a_truncated_archive_and_a_file_that_is_no_backup_are_refused(
    db, settings, tmp_path, backups
):
    register(db)
    archive = backups / "b.tar"
    _backup(archive)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 3])
    db.dispose()
    before = _snapshot(settings.data_dir)
    result = _restore(archive)
    assert result.exit_code == 2 and "未作任何改动" in result.output
    assert "清单" in result.output or "损坏" in result.output
    junk = backups / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    result = _restore(junk)
    assert result.exit_code == 2
    assert "不是化解的备份文件" in result.output
    assert _snapshot(settings.data_dir) == before


def test_restore_without_the_audit_key_is_refused(db, settings, tmp_path, backups):
    register(db)
    archive = backups / "b.tar"
    _backup(archive)
    db.dispose()
    settings.audit_key_file.rename(backups / "elsewhere.key")
    before = _snapshot(settings.data_dir)
    result = _restore(archive)
    assert result.exit_code == 2
    assert f"审计密钥文件不存在：{settings.audit_key_file}" in result.output
    assert _snapshot(settings.data_dir) == before
    other = Database.open(settings)  # a new key, not the one that signed the archive
    other.anchor.signing_key(0, "0" * 64, tail_signed=False)
    other.dispose()
    result = _restore(archive)
    assert result.exit_code == 2 and "不是签名这份备份的密钥" in result.output


def test_backup_on_postgresql_says_to_use_pg_dump(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://x@localhost/huajie")
    result = CliRunner().invoke(main, ["backup", str(tmp_path / "b.tar")])
    assert result.exit_code == 2 and "pg_dump" in result.output
    assert not (tmp_path / "b.tar").exists()


def test_the_archive_and_its_attachment_files_are_backed_up_and_restored(
    app, db, settings, tmp_path, monkeypatch, backups, clock
):
    from app.models import Attachment
    from app.services import district_settings
    from app.services.execution import instances
    from app.services.records import archiving

    clock.set("2014-03-03T09:00:00+08:00")
    archived_id = _upload_and_use(app)
    with db.write() as session:
        row = session.get(Attachment, archived_id)
        assert instances.cancel_instance(session, SYSTEM, row.instance_id, "测试撤销")
    clock.set("2026-03-03T09:00:00+08:00")
    _upload_and_use(app)  # this year's work keeps the newest rows
    district_settings.change(db, SYSTEM, "archive_after_years", 10)
    assert archiving.run(db, SYSTEM).instances == 1
    archive = backups / "with-archive.tar"
    _backup(archive)
    with tarfile.open(archive) as tar:
        assert "huajie.archive.sqlite3" in tar.getnames()
    db.dispose()

    fresh = tmp_path / "new-machine"
    fresh.mkdir()
    shutil.copyfile(settings.audit_key_file, fresh / KEY_FILE_NAME)
    monkeypatch.setenv("HUAJIE_DATA", str(fresh))
    result = _restore(archive)
    assert result.exit_code == 0, result.output
    restored = create_app(Settings.from_env())
    restored.config.update(TESTING=True)
    with restored.extensions["huajie.db"].write() as session:
        token = org.create_token(session, SYSTEM, "gtzy")
    download = restored.test_client().get(f"/api/v1/attachments/{archived_id}", headers=_h(token))
    assert download.status_code == 200 and download.data == PDF
    deep = CliRunner().invoke(main, ["audit", "verify", "--deep"], catch_exceptions=False)
    assert deep.exit_code == 0, deep.output
    restored.extensions["huajie.db"].dispose()
