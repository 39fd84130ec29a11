"""Text checked before any view runs: query parameters, path segments and form fields.

No NUL (PostgreSQL refuses it, even in a ``WHERE``), no invalid character (an encoded lone
surrogate arrives as U+FFFD), no query parameter or path segment longer than
``MAX_QUERY_LENGTH``: a 400 naming the field, as JSON under ``/api/`` and as the error page
elsewhere. A view that shows its form again with each message under its field
(``@shows_field_errors``) checks its own query and form fields, through its service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Request

from app import inputs
from app.errors import InvalidInput

MAX_QUERY_LENGTH = 1000  # searches, filters, dates, ids: all far shorter
MAX_RECORD_ID = 2**63 - 1  # what an id column holds (SQLite cannot even bind a larger int)
View = TypeVar("View", bound=Callable[..., Any])


def shows_field_errors(view: View) -> View:
    """Mark a view whose service reports bad query or form text under the field (placed right
    under the route decorator, so that the registered function carries the mark)."""
    view.shows_field_errors = True  # type: ignore[attr-defined]
    return view


def check(request: Request, view: Callable[..., Any] | None) -> None:
    errors: dict[str, list[str]] = {}
    _collect(errors, (request.view_args or {}).items(), MAX_QUERY_LENGTH)
    if not getattr(view, "shows_field_errors", False):
        _collect(errors, request.args.items(multi=True), MAX_QUERY_LENGTH)
        if request.method == "POST":
            _collect(errors, request.form.items(multi=True), None)
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(f"提交的内容有误：{first}", errors)


def _collect(
    errors: dict[str, list[str]], fields: Iterable[tuple[str, Any]], max_length: int | None
) -> None:
    for name, value in fields:
        if not isinstance(value, str):
            continue
        bad_name = inputs.text_problem(name) if isinstance(name, str) else None
        problem = bad_name or inputs.text_problem(value, max_length)
        if problem:
            field = name if isinstance(name, str) and not bad_name else ""
            errors.setdefault(field, []).append(problem)


def record_ids(values: Iterable[str], field: str) -> list[int]:
    """Record ids from form or query fields; a 400 naming the field for one that is not."""
    ids = [int(v) if v.isdigit() else 0 for v in values]
    if not all(0 < i <= MAX_RECORD_ID for i in ids):
        raise InvalidInput("编号有误", {field: ["应为记录编号"]})
    return ids
