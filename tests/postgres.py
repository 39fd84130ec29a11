"""The PostgreSQL server the database tests run against (``HUAJIE_TEST_POSTGRES_URL``).

``scripts/test`` starts a private server (``scripts/postgres``) and sets
``HUAJIE_REQUIRE_POSTGRES=1``, so a missing server fails the run; a developer running plain
pytest without one sees the PostgreSQL variants skipped with the reason.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

URL_VARIABLE = "HUAJIE_TEST_POSTGRES_URL"


class Server:
    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self._admin: Engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self._names = itertools.count(1)
        self._prefix = f"huajie_t{os.getpid()}"
        self._template: str | None = None
        # CREATE DATABASE … TEMPLATE takes ~0.5 s (a checkpoint): make the next test's copy
        # while the current test runs, and drop used ones in the background too.
        self._worker = ThreadPoolExecutor(max_workers=1)
        self._next: Future[str] | None = None

    @classmethod
    def from_env(cls) -> Server:
        url = os.environ.get(URL_VARIABLE)
        if not url:
            reason = f"{URL_VARIABLE} is not set (scripts/test starts a PostgreSQL server)"
            if os.environ.get("HUAJIE_REQUIRE_POSTGRES") == "1":
                pytest.fail(reason, pytrace=False)
            pytest.skip(reason)
        return cls(url)

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def _run(self, sql: str) -> None:
        with self._admin.connect() as conn:
            conn.execute(text(sql))

    def template(self, prepare: Callable[[str], None]) -> str:
        """A database made once by ``prepare(url)``, to be copied per test."""
        name = f"{self._prefix}_template"
        self._run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._run(f'CREATE DATABASE "{name}"')
        prepare(self.url_for(name))
        self._template = name
        return name

    def create_from(self, template: str) -> str:
        ready = self._next or self._worker.submit(self._copy, template)
        self._next = self._worker.submit(self._copy, template)
        return ready.result()

    def _copy(self, template: str) -> str:
        name = f"{self._prefix}_{next(self._names)}"
        self._run(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        return name

    def create_empty(self) -> str:
        name = f"{self._prefix}_{next(self._names)}"
        self._run(f'CREATE DATABASE "{name}"')
        return name

    def drop(self, name: str) -> None:
        self._worker.submit(self._run, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        if self._next is not None:
            self.drop(self._next.result())
        if self._template is not None:
            self.drop(self._template)
        self._worker.shutdown(wait=True)
        self._admin.dispose()
