"""JSON text for stored state, JSON columns and API bodies, by orjson (several times faster
than the standard library's encoder on a completion's state and rows).

Output matches ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))`` for JSON's
types (NaN and infinities become null, valid JSON); what orjson refuses (integers beyond 64
bits; NaN in text stored before) goes to the standard library, which accepts or refuses it as
before.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

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


class FlaskJSON(DefaultJSONProvider):
    """Flask's JSON provider (sorted keys; its conversions of dates, UUIDs and dataclasses)
    with response bodies written and request bodies read by orjson."""

    ensure_ascii = False
    _RESPONSE = {"separators": (",", ":")}  # what ``response`` asks for outside debug mode
    _OPTIONS = (
        orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
    )

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs == self._RESPONSE:
            try:
                return orjson.dumps(obj, default=self.default, option=self._OPTIONS).decode()
            except orjson.JSONEncodeError:
                pass  # the standard library's answer, value or error
        return super().dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return super().loads(s, **kwargs) if kwargs else loads(s)
