"""What text and dates sent by a user or another system must be before anything stores them or
computes with them.

Text: no NUL character (PostgreSQL refuses it in text columns; no form or court system sends
it honestly), no lone surrogate (``"\\ud800"`` in JSON: not a character, cannot be encoded for
the database), no U+FFFD (what a browser or Werkzeug puts where a form post held bytes that were
not UTF-8, e.g. an encoded lone surrogate), and within a length. Dates: within
``FIRST_DAY``..``LAST_DAY``, so that every deadline computed from one stays far inside the years
``datetime`` can hold (a date in year 9999 plus a few working days is past them).

Pure functions returning a Chinese problem, or None; callers name the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)
MAX_DEPTH = 32  # JSON nesting a request may carry; forms are flat, court payloads two deep

NUL = "不能包含空字符（\\u0000）"
INVALID = "包含无效字符（不是有效的 Unicode 文本）"


def text_problem(value: str, max_length: int | None = None) -> str | None:
    if "\x00" in value:
        return NUL
    if not value.isascii() and _has_invalid_character(value):
        return INVALID
    if max_length is not None and len(value) > max_length:
        return f"最多 {max_length} 个字"
    return None


def _has_invalid_character(value: str) -> bool:
    return "\ufffd" in value or has_lone_surrogate(value)


def has_lone_surrogate(value: str) -> bool:
    if value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included (iteratively: any depth)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str):
                    yield key
                stack.append(inner)
        elif isinstance(item, list | tuple):
            stack.extend(item)


def nested_text_problem(value: Any) -> str | None:
    """The first problem of any string inside a JSON value (lengths are the schema's job)."""
    for text in strings(value):
        problem = text_problem(text)
        if problem:
            return problem
    return None


def nested_too_deep(value: Any) -> str | None:
    """Where lists and objects nest past ``MAX_DEPTH`` in a JSON value: the nearest object
    key above that place ("" for none), or None when they do not."""
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    while stack:
        item, level, field = stack.pop()
        if isinstance(item, dict | list) and level >= MAX_DEPTH:
            return field
        if isinstance(item, dict):
            stack.extend((inner, level + 1, str(key)) for key, inner in item.items())
        elif isinstance(item, list):
            stack.extend((inner, level + 1, field) for inner in item)
    return None


def day_problem(day: date) -> str | None:
    if not FIRST_DAY <= day <= LAST_DAY:
        return f"日期须在 {FIRST_DAY.isoformat()} 至 {LAST_DAY.isoformat()} 之间"
    return None


class DateInputError(ValueError):
    """A date that is not YYYY-MM-DD or lies outside the accepted years (Chinese message)."""


def parse_day(raw: object) -> date:
    text = str(raw).strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise DateInputError("请输入有效日期（YYYY-MM-DD）")
    problem = day_problem(day)
    if problem:
        raise DateInputError(problem)
    return day
