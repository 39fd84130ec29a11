"""Database engines and sessions.

Writers and readers are kept apart: on SQLite a write transaction starts with
``BEGIN IMMEDIATE`` (so two writers queue instead of failing half-way), while readers stay
deferred and never block writers in WAL mode.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_engine(url: str, begin: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


def exclusive(session: Session, job: str) -> None:
    """One process at a time runs ``job`` in this transaction (held until it ends).

    For the scheduler's daily and quarterly jobs when several processes (gunicorn workers,
    machines) share one PostgreSQL database: the second one waits, then sees what the first
    committed. SQLite admits one writer at a time already.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"huajie:{job}".encode())
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


class Database:
    """Engines and sessions; ``after_write`` hooks see what a committed transaction left in
    ``session.info`` (e.g. new timer due times, so the scheduler can wake for them)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.write_engine = _sqlite_engine(url, "BEGIN IMMEDIATE")
            self.read_engine = _sqlite_engine(url, "BEGIN")
        else:
            self.write_engine = create_engine(url, pool_pre_ping=True)
            self.read_engine = self.write_engine
        self._writer = sessionmaker(self.write_engine, expire_on_commit=False)
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)
        self.after_write: list[Callable[[dict[str, Any]], None]] = []
        # SQLite has one writer at a time: queue this process's writers here, in order,
        # rather than in SQLite's busy handler (whose back-off gives second-long tails).
        self._write_lock = threading.Lock() if self.is_sqlite else None

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        lock = self._write_lock
        if lock is not None:
            lock.acquire()
        try:
            with self._writer() as session:
                with session.begin():
                    yield session
                info = dict(session.info)
        finally:
            if lock is not None:
                lock.release()
        for hook in self.after_write:
            hook(info)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()
