"""The unit of work: a service operation that changes state owns its write transaction.

A view or command calls ``operation(db, …)``: the operation opens the write transaction, runs,
and commits with its audit events, or rolls everything back on an error. Inside another
operation's transaction the same step is ``operation.within(session, …)``, so operations
compose without nesting transactions. Objects an operation returns are detached once it commits:
what a caller reads of them must have been loaded (a view that needs more reads it anew).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Concatenate, Generic, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from app.db import Database

P = ParamSpec("P")
R = TypeVar("R")


class UnitOfWork(Generic[P, R]):
    """``fn(session, …)`` as an operation that owns its transaction: ``op(db, …)``."""

    def __init__(self, fn: Callable[Concatenate[Session, P], R]) -> None:
        self.within = fn
        update_wrapper(self, fn)

    def __call__(self, db: Database, *args: P.args, **kwargs: P.kwargs) -> R:
        with db.write() as session:
            return self.within(session, *args, **kwargs)


def unit_of_work(fn: Callable[Concatenate[Session, P], R]) -> UnitOfWork[P, R]:
    return UnitOfWork(fn)
