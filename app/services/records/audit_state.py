"""What an audit event says about the rows its transaction left behind.

A service marks the rows a state change produced (``audit.covers``); when the transaction
commits, its last audit event carries ``state``: for each marked row a key and a digest of the
fields that matter, computed from the values being committed. ``huajie audit verify --deep``
computes the same digests from the tables and compares them with the newest event's, so a row
edited in the database afterwards is named. What is covered, exactly:

* ``task:<id>``: a completed task's ``status``, ``completed_by`` and submitted ``data``
  (``task.complete``; the event's detail also carries the data itself);
* ``instance:<id>``: an instance's ``definition_id``, ``status`` and engine ``state`` (start,
  every step, timer, message, deadline change and migration);
* ``case:<id>``: a case's ``outcome``, ``outcome_on``, ``judgment``, ``defendants`` and
  ``losing_units`` (registration, judgment, closing);
* ``document:<id>``: the rendered document's sha256 (which must also be the content's).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy.orm.exc import DetachedInstanceError, ObjectDeletedError

from app.models import Case, Document, ProcessInstance, TaskRecord

_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces; what orjson refuses (integers beyond 64 bits) by the standard
    library, so the same value always gives the same bytes."""
    try:
        return orjson.dumps(value, option=_CANONICAL)
    except orjson.JSONEncodeError:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return text.encode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def task_digest(status: str, completed_by: str | None, data: Any) -> str:
    return _sha256(canonical_json([status, completed_by, data]))


def instance_digest(definition_id: int, status: str, state: str) -> str:
    return _sha256(f"{definition_id}\n{status}\n".encode() + state.encode())


def case_digest(
    outcome: str | None, outcome_on: str | None, judgment: Any, defendants: Any, losing: Any
) -> str:
    return _sha256(canonical_json([outcome, outcome_on, judgment, defendants, losing]))


def digest_of(row: object) -> tuple[str, str] | None:
    """The key and digest of a covered row, from its values as they are being committed."""
    if isinstance(row, TaskRecord):
        return f"task:{row.id}", task_digest(row.status, row.completed_by, row.data)
    if isinstance(row, ProcessInstance):
        return f"instance:{row.id}", instance_digest(row.definition_id, row.status, row.state)
    if isinstance(row, Case):
        digest = case_digest(
            row.outcome, row.outcome_on, row.judgment, row.defendants, row.losing_units
        )
        return f"case:{row.id}", digest
    if isinstance(row, Document):
        return f"document:{row.id}", row.sha256
    raise TypeError(f"no audit digest for {type(row).__name__}")


def digests(rows: Iterable[object]) -> dict[str, str]:
    found = {}
    for row in rows:
        try:
            item = digest_of(row)
        except (DetachedInstanceError, ObjectDeletedError):
            continue  # inserted in a savepoint that was rolled back: nothing was stored
        if item is not None and not item[0].endswith(":None"):
            found[item[0]] = item[1]
    return dict(sorted(found.items()))
