from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.config import Settings
from app.db import Database
from app.demo import seed
from app.migrate import upgrade
from app.services import definitions
from app.services.actor import SYSTEM

ROOT = Path(__file__).resolve().parent.parent
# 2026-09-30 (Wed) 10:00 in Shanghai: the day before the National Day holiday.
START = "2026-09-30T10:00:00+08:00"


class Clock:
    """Moves the product clock (HUAJIE_NOW, honoured in test mode)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._mp = monkeypatch
        monkeypatch.setenv("HUAJIE_ENV", "test")
        self.set(START)

    def set(self, iso: str) -> None:
        self._mp.setenv("HUAJIE_NOW", iso)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def settings(tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("HUAJIE_DATA", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return Settings.from_env()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated, seeded and deployed once; each test gets a copy (argon2 and parsing are slow)."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "huajie.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    database = Database(url)
    with database.write() as session:
        seed(session)
        definitions.deploy_directory(session, SYSTEM, ROOT / "processes", ROOT / "forms")
    database.dispose()  # the last connection closing checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def db(settings: Settings, template_db: Path) -> Iterator[Database]:
    shutil.copyfile(template_db, settings.data_dir / "huajie.sqlite3")
    database = Database(settings.database_url)
    yield database
    database.dispose()


@pytest.fixture
def app(settings: Settings, db: Database) -> Flask:
    application = create_app(settings)
    application.config.update(TESTING=True)
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
