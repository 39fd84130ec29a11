"""Writing the volume fast: SQLite by ``executemany`` with the big tables' indexes built after
the rows, PostgreSQL by ``COPY``; the audit chain's hashes computed here in one pass.
"""

from __future__ import annotations

import hmac
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Boolean
from sqlalchemy.engine import make_url

from app.models import Base
from app.models.audit import SIGNED_CHAIN
from app.models.base import UTCDateTime
from app.services.records.audit import _EVENT_DOMAIN, GENESIS

BATCH = 20_000
BIG_TABLES = ("audit_events", "tasks", "process_instances", "timers", "documents", "cases")


def columns(table: str) -> list[str]:
    return [c.name for c in Base.metadata.tables[table].columns]


class Chain:
    """Numbers the events 1, 2, 3 … and signs each over its predecessor, as ``audit`` does."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.count = 0
        self.last = GENESIS
        # the HMAC's keyed state and domain prefix once (what ``signed_digest`` computes)
        self._keyed = hmac.new(key, _EVENT_DOMAIN, "sha256")

    def _digest(self, moment: datetime, row: tuple[Any, ...]) -> str:
        _, _, _, _, actor, action, instance_id, case_id, detail, state, _, _ = row
        stamp = moment.isoformat() + "+00:00" if moment.tzinfo is None else moment.isoformat()
        header = orjson.dumps([self.count, stamp, actor, action, instance_id, case_id])
        mac = self._keyed.copy()
        mac.update(
            b"\n".join((self.last.encode(), header, detail.encode(), (state or "").encode()))
        )
        return mac.hexdigest()

    def link(self, events: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        """Events as (…, at, actor, action, instance_id, case_id, detail, state, …) in
        ``audit_events`` column order; id and seq are the place in the chain."""
        for row in events:
            self.count += 1
            _, _, _, at, actor, action, instance_id, case_id, detail, state, _, _ = row
            moment = at if isinstance(at, datetime) else datetime.fromisoformat(at)
            digest = self._digest(moment, row)
            yield (
                self.count, self.count, SIGNED_CHAIN, moment, actor, action, instance_id,
                case_id, detail, state, self.last, digest,
            )  # fmt: skip
            self.last = digest


def _batches(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _indices(table: str, kind: type) -> list[int]:
    return [
        i for i, c in enumerate(Base.metadata.tables[table].columns) if isinstance(c.type, kind)
    ]


class SqliteSink:
    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA foreign_keys=OFF")
        self.conn.execute("PRAGMA cache_size=-200000")
        self._indexes: list[str] = []

    def clear(self, table: str, above: int = 0) -> None:
        """Rows after ``above`` go (the audit log's append-only trigger is lifted meanwhile)."""
        trigger = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
            "AND sql LIKE '%BEFORE DELETE%'",
            (table,),
        ).fetchall()
        for name, _ in trigger:
            self.conn.execute(f'DROP TRIGGER "{name}"')
        self.conn.execute(f"DELETE FROM {table} WHERE rowid > ?", (above,))
        for _, sql in trigger:
            self.conn.execute(sql)

    def drop_indexes(self) -> None:
        marks = ",".join("?" * len(BIG_TABLES))
        found = self.conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})",
            BIG_TABLES,
        ).fetchall()
        for name, sql in found:
            self.conn.execute(f'DROP INDEX "{name}"')
            self._indexes.append(sql)

    def write(self, table: str, rows: Iterable[tuple[Any, ...]]) -> int:
        names = columns(table)
        moments = _indices(table, UTCDateTime)
        sql = f"INSERT INTO {table} ({','.join(names)}) VALUES ({','.join('?' * len(names))})"
        written = 0
        self.conn.execute("BEGIN")
        for batch in _batches(rows):
            if moments:
                batch = [_sqlite_moments(row, moments) for row in batch]
            self.conn.executemany(sql, batch)
            written += len(batch)
        self.conn.execute("COMMIT")
        return written

    def finish(self) -> None:
        for sql in self._indexes:
            self.conn.execute(sql)
        self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.close()


def _sqlite_moments(row: tuple[Any, ...], moments: list[int]) -> tuple[Any, ...]:
    values = list(row)
    for i in moments:
        value = values[i]
        if isinstance(value, datetime):
            values[i] = value.isoformat(" ", "microseconds")
    return tuple(values)


class PostgresSink:
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg

        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.conn.execute("SET TIME ZONE 'UTC'")
        self._indexes: list[str] = []

    def clear_all(self) -> None:
        """Every table empty (a new database may hold rows its migrations wrote)."""
        tables = ", ".join(Base.metadata.tables)
        self.conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")

    def drop_indexes(self) -> None:
        found = self.conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = "
            "current_schema() AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM "
            "pg_constraint c WHERE c.conname = i.indexname)",
            (list(BIG_TABLES),),
        ).fetchall()
        for name, definition in found:
            self.conn.execute(f'DROP INDEX "{name}"')
            self._indexes.append(definition)

    def write(self, table: str, rows: Iterable[tuple[Any, ...]]) -> int:
        names = columns(table)
        flags = _indices(table, Boolean)
        written = 0
        statement = f"COPY {table} ({','.join(names)}) FROM STDIN"
        with self.conn.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                if flags:
                    row = tuple(
                        bool(v) if i in flags and v is not None else v for i, v in enumerate(row)
                    )
                copy.write_row(row)
                written += 1
        return written

    def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    def finish(self) -> None:
        for definition in self._indexes:
            self.conn.execute(definition)
        for table in Base.metadata.tables:
            if "id" in columns(table) and Base.metadata.tables[table].c.id.autoincrement:
                self.conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
        self.conn.execute("ANALYZE")
        self.conn.close()
