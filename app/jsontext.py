"""JSON text for stored state, JSON columns and API bodies, by orjson (several times faster
than the standard library's encoder on a completion's state and rows).

Request bodies (``request_body``, which the web's JSON provider reads them with) are refused with a
``RefusedBody`` naming the field when they nest deeper than ``inputs.MAX_DEPTH`` or hold a NUL
or a lone surrogate, so that no such value reaches a service, the engine or the database.

Output matches ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))`` for JSON's
types (NaN and infinities become null, valid JSON); what orjson refuses (integers beyond 64
bits; NaN in text stored before) goes to the standard library, which accepts or refuses it as
before.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

from app import inputs

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(obj: Any) -> str:
    try:
        return orjson.dumps(obj, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


class RefusedBody(ValueError):
    """A request body refused before any code sees it; ``field`` is the object key nearest to
    the problem ("" for the body as a whole)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message, self.field = message, field


def request_body(text: str | bytes) -> Any:
    """A request's JSON body, or ``RefusedBody``.

    orjson refuses lone surrogates and nesting past 1,024 levels; what it refuses goes to the
    standard library (integers beyond 64 bits, NaN), whose answer is checked for surrogates and
    whose recursion limit is a refusal, not an error. A body orjson read costs two byte counts
    and a search more, unless it has more brackets than ``MAX_DEPTH`` or a ``\\u0000``.
    """
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        try:
            value = json.loads(raw)
        except RecursionError:
            raise RefusedBody(_TOO_DEEP) from exc
        _refuse_text(value, inputs.has_lone_surrogate)
    if raw.count(b"[") + raw.count(b"{") > inputs.MAX_DEPTH:
        field = inputs.nested_too_deep(value)
        if field is not None:
            raise RefusedBody(_TOO_DEEP, field)
    if b"\\u0000" in raw:
        _refuse_text(value, lambda s: "\x00" in s)
    return value


_TOO_DEEP = f"JSON 嵌套层数过多（最多 {inputs.MAX_DEPTH} 层）"


def _refuse_text(value: Any, bad: Callable[[str], bool]) -> None:
    """``RefusedBody`` naming the field (the nearest object key) that holds bad text."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        field, item = stack.pop()
        if isinstance(item, str):
            if bad(item):
                raise RefusedBody(inputs.text_problem(item) or inputs.INVALID, field)
        elif isinstance(item, dict):
            for key, inner in item.items():
                if bad(key):
                    raise RefusedBody(inputs.text_problem(key) or inputs.INVALID, field)
                stack.append((key, inner))
        elif isinstance(item, list):
            stack.extend((field, inner) for inner in item)
