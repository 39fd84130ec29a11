"""Database engines and sessions.

Writers and readers are kept apart: on SQLite a write transaction starts with
``BEGIN IMMEDIATE`` (so two writers queue instead of failing half-way), while readers stay
deferred and never block writers in WAL mode.

A writer waits for the writer lock (SQLite's one writer; on PostgreSQL the row locks of an
instance and the audit chain's advisory lock) at most ``lock_timeout`` seconds, then gets
``WriterBusy`` (HTTP 503 with ``Retry-After``) instead of queueing without end behind a held
lock; readers take no such lock and never wait for one. Before a flush, every string bound for
a ``String(n)`` or ``Text`` column is checked (length, NUL, invalid characters), so that what
PostgreSQL would refuse with an error, and SQLite would store, is the same field error on both.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, String, create_engine, event, make_url, text
from sqlalchemy import inspect as inspect_mapper
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapper, Session, sessionmaker
from sqlalchemy.orm.attributes import instance_state

from app import inputs, jsontext
from app.anchor import ANCHOR_INFO, HEAD_INFO, Anchor
from app.config import Settings
from app.errors import InvalidInput
from app.sqlite_writers import WalCheckpointer, WriterBusy, WriterQueue

_COMMIT_CHECKPOINT_PAGES = 10_000  # ~40 MB of WAL
# JSON columns (task data, audit details) written and read by orjson
_JSON_TEXT = {"json_serializer": jsontext.dumps, "json_deserializer": jsontext.loads}
# How long a writer waits for the writer lock before a 503. A step holds it for milliseconds
# (a completion ~2 ms; a queue of every worker's writers well under a second), so 5 s is only
# exceeded behind a lock that something holds on purpose or by mistake.
LOCK_TIMEOUT_S = Settings.lock_timeout_s  # HUAJIE_LOCK_TIMEOUT_SECONDS's default
RETRY_AFTER_S = 2  # what a refused writer is told to wait before trying again


def _lock_timed_out(exc: OperationalError | sqlite3.OperationalError) -> bool:
    # BEGIN IMMEDIATE runs on the driver (``_on_begin``): its error comes unwrapped
    orig = exc.orig if isinstance(exc, OperationalError) else exc
    if isinstance(orig, sqlite3.OperationalError):  # SQLITE_BUSY past busy_timeout
        return getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_BUSY or (
            "database is locked" in str(orig)
        )
    return getattr(orig, "sqlstate", None) == "55P03"  # PostgreSQL lock_not_available


def archive_file(url: str) -> str:
    """Where a SQLite database keeps its archive (``app.services.records.archive_store``): a file
    beside it, ``<name>.archive.sqlite3``; an in-memory database's is in memory too."""
    path = make_url(url).database
    if path in (None, "", ":memory:"):
        return ":memory:"
    main = Path(path)
    stem = main.name.removesuffix(".sqlite3").removesuffix(".db")
    return str(main.with_name(f"{stem}.archive.sqlite3"))


def _sqlite_engine(url: str, begin: str, lock_timeout: float) -> Engine:
    archive = archive_file(url)
    engine = create_engine(
        url, connect_args={"timeout": lock_timeout, "check_same_thread": False}, **_JSON_TEXT
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # the WAL goes back into the file in the background (``WalCheckpointer``); a commit does
        # it itself only past this many pages, a bound should that thread not run
        cursor.execute(f"PRAGMA wal_autocheckpoint={_COMMIT_CHECKPOINT_PAGES}")
        cursor.execute("ATTACH DATABASE ? AS archive", (archive,))
        cursor.execute("PRAGMA archive.journal_mode=WAL")
        cursor.execute("PRAGMA archive.synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.connection.driver_connection.execute(begin)  # on the driver: no result to wrap

    return engine


def _postgresql_engine(url: str, lock_timeout: float) -> Engine:
    engine = create_engine(url, pool_pre_ping=True, **_JSON_TEXT)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(lock_timeout * 1000)}")
        dbapi_connection.commit()  # a session setting, kept for the connection's life

    return engine


def exclusive(session: Session, job: str) -> None:
    """One process at a time runs ``job`` in this transaction (held until it ends).

    For the scheduler's daily and quarterly jobs when several processes (server workers,
    machines) share one PostgreSQL database: the second one waits (a background job has no
    one to answer 503 to, so without the lock timeout), then sees what the first committed.
    SQLite admits one writer at a time already.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"huajie:{job}".encode())
        session.execute(text("SET LOCAL lock_timeout = 0"))
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


_TEXT_COLUMNS: dict[type, list[tuple[str, int | None]]] = {}
ANALYSIS_ROWS = 1000  # rows sampled an index by the daily statistics (PRAGMA analysis_limit)


def _text_columns(cls: type) -> list[tuple[str, int | None]]:
    """(attribute, length or None) of a mapped class's String and Text columns."""
    found = _TEXT_COLUMNS.get(cls)
    if found is None:
        found = _TEXT_COLUMNS[cls] = []
        mapper: Mapper[Any] = inspect_mapper(cls)
        for attr in mapper.column_attrs:
            column_type = attr.columns[0].type
            if isinstance(column_type, String):
                found.append((attr.key, column_type.length))
    return found


def _refuse_unstorable_text(session: Session, _context: Any, _instances: Any) -> None:
    """A field error, before the flush, for text a column cannot hold as given (new rows, and
    the attributes changed in others: what an older version stored is not judged again)."""
    changed = ((obj, instance_state(obj).committed_state) for obj in session.dirty)
    for obj, only in chain(((obj, None) for obj in session.new), changed):
        values = obj.__dict__
        for key, length in _text_columns(type(obj)):
            value = values.get(key)
            if isinstance(value, str) and (only is None or key in only):
                problem = inputs.text_problem(value, length)
                if problem:  # "" too: a form whose field is named otherwise shows it on top
                    message = f"提交的内容有误：{problem}"
                    raise InvalidInput(message, {key: [problem], "": [message]})


class Database:
    """Engines and sessions; ``after_write`` hooks see what a committed transaction left in
    ``session.info`` (e.g. new timer due times, so the scheduler can wake for them).

    ``anchor`` (``app.anchor``) signs the audit chain and checkpoints its head after commits;
    without one, events are chained by sha256 alone, as before the key existed (tests of
    upgrading build such databases; a chain already signed refuses them).
    """

    @classmethod
    def open(cls, settings: Settings) -> Database:
        """The installation's database, its audit chain anchored in the data folder."""
        anchor = Anchor.in_folder(settings.data_dir, settings.audit_key_file)
        return cls(settings.database_url, settings.lock_timeout_s, anchor=anchor)

    def __init__(
        self, url: str, lock_timeout: float = LOCK_TIMEOUT_S, *, anchor: Anchor | None = None
    ) -> None:
        self.url = url
        self.anchor = anchor
        self.is_sqlite = url.startswith("sqlite")
        self.lock_timeout = lock_timeout
        if self.is_sqlite:
            self.write_engine = _sqlite_engine(url, "BEGIN IMMEDIATE", lock_timeout)
            self.read_engine = _sqlite_engine(url, "BEGIN", lock_timeout)
        else:
            self.write_engine = _postgresql_engine(url, lock_timeout)
            self.read_engine = self.write_engine
        info = {ANCHOR_INFO: anchor} if anchor is not None else {}
        self._writer = sessionmaker(self.write_engine, expire_on_commit=False, info=info)
        event.listen(self._writer, "before_flush", _refuse_unstorable_text)
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False, info=info)
        self.after_write: list[Callable[[dict[str, Any]], None]] = []
        path = make_url(url).database
        self._write_lock = WriterQueue(path) if self.is_sqlite else None
        on_file = self.is_sqlite and path not in (None, "", ":memory:")
        self._checkpointer = WalCheckpointer(str(path)) if on_file else None

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error.

        ``WriterBusy`` when the writer lock stays held past ``lock_timeout``."""
        lock = self._write_lock
        if lock is not None:
            lock.acquire(self.lock_timeout)
        try:
            with self._writer() as session:
                with session.begin():
                    yield session
                info = dict(session.info)
        except (OperationalError, sqlite3.OperationalError) as exc:
            if _lock_timed_out(exc):
                raise WriterBusy from exc
            raise
        finally:
            if lock is not None:
                lock.release()
        if self._checkpointer is not None:
            self._checkpointer.wrote()
        head = info.get(HEAD_INFO)
        if head is not None and self.anchor is not None:
            self.anchor.committed(*head)
        for hook in self.after_write:
            hook(info)

    def refresh_statistics(self) -> None:
        """Bring SQLite's query-planner statistics up to date (``sqlite_stat1``), sampling
        ``ANALYSIS_ROWS`` rows an index so it takes milliseconds at any size: without them the
        planner guesses, and a guess that suits the demo data may walk twenty years of history.
        PostgreSQL's autovacuum keeps its own statistics."""
        if not self.is_sqlite:
            return
        with self.write() as session:
            session.execute(text(f"PRAGMA analysis_limit={ANALYSIS_ROWS}"))
            session.execute(text("ANALYZE main"))

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            yield session

    def dispose(self) -> None:
        if self.anchor is not None:
            self.anchor.close()
        if self._checkpointer is not None:
            self._checkpointer.stop()
        if self._write_lock is not None:
            self._write_lock.close()
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()
