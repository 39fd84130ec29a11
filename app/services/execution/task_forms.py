"""Form schemas as the product uses them: dynamic options, lane choices, attachments."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Unit

OPTIONS_KEY = "x-options"  # "units:<kind>": a select of the units of that kind
LANE_KEY = "x-lane"  # the chosen unit owns that lane from then on
ATTACHMENTS_FORMAT = "attachments"


def properties(schema: Mapping[str, Any]) -> dict[str, Any]:
    props = schema.get("properties")
    return props if isinstance(props, dict) else {}


def prepare(session: Session, schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the schema with ``x-options`` turned into ``enum``/``enumNames``."""
    if not any(OPTIONS_KEY in p for p in properties(schema).values() if isinstance(p, dict)):
        return dict(schema)
    prepared = copy.deepcopy(dict(schema))
    for prop in properties(prepared).values():
        source = prop.get(OPTIONS_KEY) if isinstance(prop, dict) else None
        if isinstance(source, str) and source.startswith("units:"):
            units = list(
                session.scalars(select(Unit).where(Unit.kind == source[6:]).order_by(Unit.code))
            )
            prop["enum"] = [u.code for u in units] or [""]
            prop["enumNames"] = [u.name for u in units] or ["（无可选单位）"]
    return prepared


def lane_choices(schema: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, str]:
    """Lane name -> unit code for every ``x-lane`` field the submission filled."""
    chosen = {}
    for name, prop in properties(schema).items():
        if isinstance(prop, dict) and isinstance(prop.get(LANE_KEY), str):
            value = data.get(name)
            if isinstance(value, str) and value:
                chosen[prop[LANE_KEY]] = value
    return chosen


def attachment_fields(schema: Mapping[str, Any]) -> list[str]:
    return [
        name
        for name, prop in properties(schema).items()
        if isinstance(prop, dict) and prop.get("format") == ATTACHMENTS_FORMAT
    ]


def prefill(
    schema: Mapping[str, Any], data: Mapping[str, Any], skip: set[str] | None = None
) -> dict[str, Any]:
    """Process data that already answers some of the form's fields.

    Left out: dates that default to today (a new round's date is today, not the last one) and
    ``skip``, the fields an earlier round of the same task answered (a reviewer's new verdict
    must not start from the old one).
    """
    skip = skip or set()
    return {
        name: data[name]
        for name, prop in properties(schema).items()
        if data.get(name) is not None
        and name not in skip
        and not (isinstance(prop, dict) and prop.get("x-default") == "today")
    }
