"""The PostgreSQL backup procedure of docs/operations.md, followed step by step: the audit
checkpoints, ``pg_dump``, the attachment files; restored into a fresh database and data folder
with the key brought back, every attachment downloads and the audit chain verifies (deep)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from app.anchor import KEY_FILE_NAME, LOG_FILE_NAME
from app.cli import main
from app.config import Settings
from app.services.actor import SYSTEM
from app.services.identity import org
from app.web.factory import create_app
from tests.test_backup import PDF, _h, _upload_and_use


def _client_tool(name: str) -> str:
    """The server's own version of a client tool (as ``scripts/postgres`` picks the server)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3])
    )
    return str(found[-1]) if found else name


def _libpq(url: str) -> str:
    """SQLAlchemy's URL as the PostgreSQL tools take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, (command, done.stderr)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_pg_dump_with_files_and_checkpoints_restores_a_whole_installation(
    app, db, settings, postgres_server, tmp_path_factory, monkeypatch
):
    attachment_id = _upload_and_use(app)
    db.anchor.flush()  # as the background thread does a moment after the commits
    backup = tmp_path_factory.mktemp("backup")
    # 1. the checkpoints first; 2. the database; 3. the attachments
    shutil.copyfile(settings.data_dir / LOG_FILE_NAME, backup / LOG_FILE_NAME)
    _run(_client_tool("pg_dump"), "--format=custom", f"--file={backup / 'huajie.dump'}",
         _libpq(settings.database_url))  # fmt: skip
    _run("tar", "-C", str(settings.data_dir), "-cf", str(backup / "attachments.tar"), "attachments")
    db.dispose()

    # the restore: a fresh database and data folder, the key kept apart brought back
    fresh_name = postgres_server.create_empty()
    fresh_db = postgres_server.url_for(fresh_name)
    _run(_client_tool("pg_restore"), "--no-owner", "--exit-on-error",
         f"--dbname={_libpq(fresh_db)}", str(backup / "huajie.dump"))  # fmt: skip
    fresh = tmp_path_factory.mktemp("restored-data")
    shutil.copyfile(settings.audit_key_file, fresh / KEY_FILE_NAME)
    _run("tar", "-C", str(fresh), "-xf", str(backup / "attachments.tar"))
    shutil.copyfile(backup / LOG_FILE_NAME, fresh / LOG_FILE_NAME)
    monkeypatch.setenv("HUAJIE_DATA", str(fresh))
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    init = CliRunner().invoke(main, ["init"], catch_exceptions=False)
    assert init.exit_code == 0, init.output
    verified = CliRunner().invoke(main, ["audit", "verify", "--deep"], catch_exceptions=False)
    assert verified.exit_code == 0, verified.output
    assert "附件 1" in verified.output

    restored = create_app(Settings.from_env())
    with restored.extensions["huajie.db"].write() as session:
        token = org.create_token(session, SYSTEM, "gtzy")
    download = restored.test_client().get(f"/api/v1/attachments/{attachment_id}", headers=_h(token))
    assert download.status_code == 200
    assert hashlib.sha256(download.data).digest() == hashlib.sha256(PDF).digest()
    restored.extensions["huajie.db"].dispose()
    postgres_server.drop(fresh_name)
