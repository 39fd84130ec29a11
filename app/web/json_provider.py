"""Flask's JSON provider, written and read by orjson (``app.jsontext``)."""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

from app.jsontext import request_body


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
        return super().loads(s, **kwargs) if kwargs else request_body(s)
