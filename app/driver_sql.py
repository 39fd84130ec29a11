"""The completion's hot statements, run on the database driver's cursor.

SQLAlchemy compiles each statement once per dialect (and per set of columns written), and its
own type processors convert the parameters and the result columns, exactly as its execution
would; only the execution machinery around the cursor (execution context, result objects,
events: ~30–40 µs a statement, a tenth of an API completion over its ten statements) is left
out. For statements a request runs every time on a connection whose transaction SQLAlchemy
began; everything else goes through SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import ValuesBase

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple[str, ...]  # parameters in the order the SQL takes them
    positional: bool
    fixed: dict[str, Any]  # values the statement itself carries (LIMIT 1, literals)
    binds: dict[str, Processor]
    columns: tuple[Processor, ...]  # empty when no column needs converting


class DriverStatement:
    """A Core ``select``/``insert``/``update`` run with ``rows``, ``first`` or ``run``.

    ``insert`` and ``update`` statements without ``.values()`` write the columns named by the
    parameters, as SQLAlchemy's ``execute(statement, params)`` does.
    """

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._writes_params = isinstance(statement, ValuesBase)
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan] = {}

    def rows(self, connection: Connection, params: Mapping[str, Any] = {}) -> list[tuple]:
        plan, cursor = self._execute(connection, params)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if not plan.columns:
            return [tuple(row) for row in rows]
        return [
            tuple(v if p is None else p(v) for p, v in zip(plan.columns, row, strict=True))
            for row in rows
        ]

    def first(self, connection: Connection, params: Mapping[str, Any] = {}) -> tuple | None:
        rows = self.rows(connection, params)
        return rows[0] if rows else None

    def run(self, connection: Connection, params: Mapping[str, Any] = {}) -> int:
        """An ``insert``/``update`` without ``RETURNING``: the number of rows it changed."""
        _, cursor = self._execute(connection, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def _execute(self, connection: Connection, params: Mapping[str, Any]) -> tuple[_Plan, Any]:
        dialect = connection.dialect
        key = (dialect.name, tuple(params) if self._writes_params else ())
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._compile(dialect, list(params))
        values = []
        for name in plan.names:
            value = params[name] if name in params else plan.fixed[name]
            processor = plan.binds[name]
            values.append(value if processor is None else processor(value))
        driver = connection.connection.driver_connection
        assert driver is not None  # a checked-out connection has its DBAPI connection
        cursor = driver.cursor()
        try:
            if plan.positional:
                cursor.execute(plan.sql, values)
            else:
                cursor.execute(plan.sql, dict(zip(plan.names, values, strict=True)))
        except BaseException:
            cursor.close()
            raise
        return plan, cursor

    def _compile(self, dialect: Dialect, keys: list[str]) -> _Plan:
        compiled = cast(
            SQLCompiler,
            self.statement.compile(
                dialect=dialect, column_keys=keys if self._writes_params else None
            ),
        )
        if compiled.positional:
            names = tuple(compiled.positiontup or ())
        else:
            names = tuple(dict.fromkeys(compiled.bind_names.values()))
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        binds = {
            name: cast(Processor, by_name[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in names
        }
        if compiled.insert_prefetch or compiled.update_prefetch:  # Python-side defaults
            missing = [c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
            raise ValueError(f"a driver statement writes only what it is given: {missing}")
        fixed = {  # values the statement carries; a parameter it needs is a KeyError if absent
            name: value
            for name, value in (compiled.construct_params(_check=False) or {}).items()
            if not (by_name.get(name) is not None and by_name[name].required)
        }
        columns = tuple(  # a select's columns, or what an insert/update returns
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in getattr(self.statement, "exported_columns", ())
        )
        columns = columns if any(columns) else ()
        return _Plan(compiled.string, names, compiled.positional, fixed, binds, columns)
