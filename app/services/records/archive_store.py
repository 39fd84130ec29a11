"""The archive (归档): finished instances' rows, moved out of the tables the office works in.

On SQLite the archive is its own file beside the database (``huajie.archive.sqlite3``), attached
to every connection as the schema ``archive`` (``app/db.py``); on PostgreSQL it is the schema
``archive`` of the same database. It holds the tables in ``MOVED``, with the models' columns
(``ensure`` adds what a newer model has) and no foreign keys: a SQLite file cannot refer to
another one, and the rows they name (units, users, definitions) stay in the main database.

Reading the archive needs no second copy of the queries: inside ``archive_first(session)`` the
moved tables' names resolve to the archive (PostgreSQL: ``search_path``; SQLite: temporary views
that shadow them), every other table to the main database, so the instance page, the dossier and
a download run their usual code over an archived instance. Audit events are never moved.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Column, Connection, Index, MetaData, Table, exists, inspect, select, text
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateColumn

from app.errors import Archived, NotFound, ServiceError
from app.models import Base

SCHEMA = "archive"
# children before their parents: the order rows leave the main tables
MOVED = (
    "task_drafts", "task_comments", "matter_titles", "notifications", "ladder_steps",
    "reminders", "timers", "incidents", "documents", "attachments", "tasks",
    "process_instances", "court_messages", "cases",
)  # fmt: skip
_LOOKUP_COLUMNS = ("instance_id", "case_id", "task_id", "task_record_id", "case_no", "unit_id")

ARCHIVE = MetaData(schema=SCHEMA)


def _archive_table(name: str) -> Table:
    source = Base.metadata.tables[name]
    columns = [
        Column(c.name, c.type, primary_key=c.primary_key, nullable=True, autoincrement=False)
        for c in source.columns
    ]
    archived = Table(name, ARCHIVE, *columns, schema=SCHEMA)
    for column in _LOOKUP_COLUMNS:
        if column in archived.c:
            Index(f"ix_archive_{name}_{column}", archived.c[column])
    return archived


TABLES: dict[str, Table] = {name: _archive_table(name) for name in MOVED}


def main_table(name: str) -> Table:
    return Base.metadata.tables[name]


def ready(connection: Connection) -> bool:
    """The archive has its tables (an installation that never archived has none)."""
    if connection.dialect.name == "sqlite":
        query = text(f"SELECT 1 FROM {SCHEMA}.sqlite_master WHERE type = 'table' AND name = :n")
        return connection.execute(query, {"n": "process_instances"}).first() is not None
    found = connection.execute(text("SELECT to_regclass(:n)"), {"n": f"{SCHEMA}.cases"})
    return found.scalar() is not None


def ensure(connection: Connection) -> None:
    """The archive's tables as the models have them now: created when missing, and given the
    columns a newer model added (nullable: rows archived before have none)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
    ARCHIVE.create_all(connection, checkfirst=True)
    inspector = inspect(connection)
    for name, table in TABLES.items():
        present = {c["name"] for c in inspector.get_columns(name, schema=SCHEMA)}
        for column in table.columns:
            if column.name not in present:
                spec = CreateColumn(column).compile(dialect=connection.dialect)
                connection.execute(text(f'ALTER TABLE {SCHEMA}."{name}" ADD COLUMN {spec}'))


def holds(session: Session, name: str, row_id: int) -> bool:
    """Row ``row_id`` of table ``name`` is in the archive."""
    connection = session.connection()
    if not ready(connection):
        return False
    table = TABLES[name]
    return bool(session.scalar(select(exists().where(table.c.id == row_id))))


def holds_instance(session: Session, instance_id: int) -> bool:
    return holds(session, "process_instances", instance_id)


@contextmanager
def archive_first(session: Session) -> Iterator[None]:
    """Within this block the moved tables are read from the archive (read only: nothing may be
    written to them here). Objects loaded here keep what they loaded after it."""
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        previous = connection.execute(text("SHOW search_path")).scalar_one()
        connection.execute(text(f"SET LOCAL search_path TO {SCHEMA}, {previous}"))
        try:
            yield
        finally:
            connection.execute(text(f"SET LOCAL search_path TO {previous}"))
        return
    for name in MOVED:
        connection.exec_driver_sql(f'CREATE TEMP VIEW "{name}" AS SELECT * FROM {SCHEMA}."{name}"')
    try:
        yield
    finally:
        for name in MOVED:
            connection.exec_driver_sql(f'DROP VIEW IF EXISTS temp."{name}"')


def not_found(session: Session, name: str, row_id: int, message: str) -> ServiceError:
    """The error for row ``row_id`` of ``name`` missing from the main tables: that it is
    archived and read only, when the archive holds it; else ``NotFound(message)``."""
    if not holds(session, name, row_id):
        return NotFound(message)
    if name == "tasks":
        table = TABLES["tasks"]
        instance_id = session.scalar(select(table.c.instance_id).where(table.c.id == row_id))
        return Archived(
            f"该任务所在的流程实例 #{instance_id} 已归档：只能在流程实例页查阅，不能再办理"
        )
    return Archived(f"流程实例 #{row_id} 已归档：只能查阅，不能再办理")


def refuse_archived_case_no(session: Session, case_no: str) -> None:
    """A new case may not take the number of an archived one: the auditor reads one case under
    one number (the archived case is read, never reopened)."""
    connection = session.connection()
    if not ready(connection):
        return
    table = TABLES["cases"]
    if session.scalar(select(exists().where(table.c.case_no == case_no))):
        raise Archived(f"案号 {case_no} 的案件已归档：只能查阅，不能再登记或接收新的消息")
