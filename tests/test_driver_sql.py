"""Statements run on the driver read and write exactly what SQLAlchemy reads and writes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select, update

from app.driver_sql import DriverStatement
from app.models import TaskRecord
from tests.helpers import open_task, register

pytestmark = pytest.mark.both_databases

_TASKS = TaskRecord.__table__
_ROW = select(*_TASKS.c).where(_TASKS.c.id == bindparam("id"))
_WRITE = update(_TASKS).where(_TASKS.c.id == bindparam("b_id"))


def test_a_row_reads_as_sqlalchemy_reads_it(db):
    task = open_task(db, register(db))
    with db.read() as session:
        expected = tuple(session.execute(_ROW, {"id": task.id}).one())
        got = DriverStatement(_ROW).first(session.connection(), {"id": task.id})
    assert got == expected
    assert [type(v) for v in got] == [type(v) for v in expected]  # datetimes, JSON, None


def test_written_values_read_back_through_the_orm(db):
    task = open_task(db, register(db))
    moment = datetime(2026, 10, 9, 8, 30, 15, 123456, tzinfo=UTC)
    answers = {"说明": "已核实", "份数": 3, "附件": [{"id": 1}], "空": None}
    with db.write() as session:
        changed = DriverStatement(_WRITE).run(
            session.connection(),
            {"completed_at": moment, "data": answers, "completed_by": "center", "b_id": task.id},
        )
    assert changed == 1
    with db.read() as session:
        row = session.get(TaskRecord, task.id)
        assert (row.completed_at, row.data, row.completed_by) == (moment, answers, "center")


def test_an_insert_must_name_the_columns_with_python_defaults(db):
    statement = DriverStatement(insert(_TASKS).returning(_TASKS.c.id))
    with db.write() as session, pytest.raises(ValueError, match="status"):
        statement.rows(session.connection(), {"instance_id": 1, "created_at": datetime.now(UTC)})
