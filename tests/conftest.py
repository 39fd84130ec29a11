from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.anchor import KEY_FILE_NAME, LOG_FILE_NAME, Anchor
from app.config import Settings
from app.db import Database
from app.demo import seed
from app.migrate import upgrade
from app.services.actor import SYSTEM
from app.services.design import definitions
from app.web.factory import create_app
from tests import postgres

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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "both_databases: run the test's database fixtures on SQLite and on PostgreSQL "
        "(a module opts in with pytestmark)",
    )
    config.addinivalue_line("markers", "sqlite_only: SQLite-specific, even in such a module")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests of an opted-in module that touch the database run once per backend."""
    marked = metafunc.definition.get_closest_marker("both_databases")
    only_sqlite = metafunc.definition.get_closest_marker("sqlite_only")
    if marked and not only_sqlite and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.Server]:
    server = postgres.Server.from_env()
    yield server
    server.close()


def _prepare(url: str, folder: Path) -> None:
    """Schema, demo organisation and deployed processes: what every database test starts from.

    Its audit chain is signed with a key in ``folder`` (with the checkpoints), which each test
    copies into its data folder with the database (``db``)."""
    upgrade(url)
    database = Database(url, anchor=Anchor.in_folder(folder))
    with database.write() as session:
        seed(session)
        definitions.deploy_directory(session, SYSTEM, ROOT / "processes", ROOT / "forms")
    database.dispose()  # on SQLite the last connection closing checkpoints the WAL into the file


def copy_anchor(source: Path, data_dir: Path) -> None:
    """The audit key and checkpoints that go with a copied database (as a restore brings them)."""
    for name in (KEY_FILE_NAME, LOG_FILE_NAME):
        shutil.copyfile(source / name, data_dir / name)


@pytest.fixture(scope="session")
def postgres_template(
    postgres_server: postgres.Server, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """The PostgreSQL twin of ``template_db``: each test gets ``CREATE DATABASE … TEMPLATE``;
    the name, and the folder of its audit key and checkpoints."""
    folder = tmp_path_factory.mktemp("postgres-template")
    return postgres_server.template(lambda url: _prepare(url, folder)), folder


@pytest.fixture
def database_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str | None]:
    """The test's own database: ``None`` for SQLite (a copy in the data folder, see ``db``)."""
    if backend == "sqlite":
        yield None
        return
    server: postgres.Server = request.getfixturevalue("postgres_server")
    template, _ = request.getfixturevalue("postgres_template")
    name = server.create_from(template)
    yield server.url_for(name)
    server.drop(name)


@pytest.fixture
def settings(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch, database_url: str | None
) -> Settings:
    monkeypatch.setenv("HUAJIE_DATA", str(tmp_path))
    if database_url is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", database_url)
    return Settings.from_env()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated, seeded and deployed once; each test gets a copy (argon2 and parsing are slow)."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "huajie.sqlite3"
    _prepare(f"sqlite:///{path}", folder)
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def db(settings: Settings, request: pytest.FixtureRequest) -> Iterator[Database]:
    if settings.database_url.startswith("sqlite"):
        template: Path = request.getfixturevalue("template_db")
        shutil.copyfile(template, settings.data_dir / "huajie.sqlite3")
        copy_anchor(template.parent, settings.data_dir)
    else:
        copy_anchor(request.getfixturevalue("postgres_template")[1], settings.data_dir)
    database = Database.open(settings)
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
