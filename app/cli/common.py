"""What every ``huajie`` command shares: the database from the environment, and how a refused
operation ends the command."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click

from app.config import Settings
from app.db import Database
from app.errors import ServiceError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.services.actor import Actor

T = TypeVar("T")


def open_db(settings: Settings | None = None) -> Database:
    return Database.open(settings or Settings.from_env())


def fail(exc: ServiceError) -> NoReturn:
    """The error and every field's problem on stderr, exit code 2."""
    click.echo(f"错误：{exc.message}", err=True)
    for field, messages in getattr(exc, "errors", {}).items():
        for message in messages:
            click.echo(f"  {field or '-'}: {message}", err=True)
    sys.exit(2)


def as_system(change: Callable[[Session, Actor], T]) -> T:
    """Run one operation in a write transaction as the system (audited like the same operation
    from a page); a refusal ends the command."""
    from app.services.actor import SYSTEM

    try:
        with open_db().write() as session:
            return change(session, SYSTEM)
    except ServiceError as exc:
        fail(exc)


def use_routing(settings: Settings) -> None:
    """Check the routing table beside the diagrams and put it in use (processes/routing.toml)."""
    from app.services.design import routing

    try:
        routing.use(settings.processes_dir)
    except ServiceError as exc:
        fail(exc)


def initialised(db: Database) -> bool:
    """The database exists and has its schema (``huajie init`` ran)."""
    from sqlalchemy import inspect, make_url
    from sqlalchemy.exc import SQLAlchemyError

    if db.is_sqlite:  # connecting would create an empty database file
        path = make_url(db.url).database
        if not path or (path != ":memory:" and not Path(path).exists()):
            return False
    try:
        with db.read_engine.connect() as connection:
            return inspect(connection).has_table("calendar_days")
    except SQLAlchemyError:
        return False
