"""Starting what the routing table (``processes/routing.toml``) says an event starts.

A service describes its event as an ``Occasion``: the facts it offers, the conditions that hold
(a condition may be a function, asked only when a route needs it), its case and the units it
names. ``start`` starts, in the table's order, every route on the event whose conditions hold,
within the service's unit of work; an instance's data is the route's facts and fixed values,
and its lane owners. A process not deployed starts nothing, unless the service requires it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clocks import StartEvent
from app.models import Case, ProcessInstance, Unit
from app.services.actor import Actor
from app.services.design import definitions, routing
from app.services.design.routing import Route
from app.services.design.routing_terms import OPTIONAL_UNITS
from app.services.execution import instances
from app.services.identity import org

Condition = bool | Callable[[], bool]


@dataclass(frozen=True)
class Item:
    """One of the units a route with ``each`` starts an instance for: its facts and units."""

    facts: Mapping[str, Any]
    units: Mapping[str, Unit | None]


@dataclass
class Occasion:
    trigger: str  # a routing_terms.TRIGGERS key
    facts: Mapping[str, Any]
    case: Case | None = None
    conditions: Mapping[str, Condition] = field(default_factory=dict)
    units: Mapping[str, Unit | None] = field(default_factory=dict)
    each: Mapping[str, Sequence[Item]] = field(default_factory=dict)


def case_facts(case: Case) -> dict[str, Any]:
    return {
        "case.case_no": case.case_no,
        "case.plaintiff": case.plaintiff,
        "case.agency_name": case.agency.name,
        "case.subject": case.subject,
        "case.claims": case.claims,
        "case.court": case.court,
        "case.kind": case.kind,
        "case.received_on": case.received_on,
    }


def for_case(
    trigger: str,
    case: Case,
    facts: Mapping[str, Any] | None = None,
    conditions: Mapping[str, Condition] | None = None,
    each: Mapping[str, Sequence[Item]] | None = None,
) -> Occasion:
    """An event about a case: the case's facts and its agency come with it."""
    return Occasion(
        trigger, {**case_facts(case), **(facts or {})}, case, dict(conditions or {}),
        {"case_agency": case.agency}, dict(each or {}),
    )  # fmt: skip


def start(
    session: Session, actor: Actor, occasion: Occasion, required: bool = False
) -> list[ProcessInstance]:
    """Every route on the occasion's event whose conditions hold, in the table's order."""
    started: list[ProcessInstance] = []
    for route in routing.current().routes_on(occasion.trigger):
        if _holds(route, occasion):
            started += start_route(session, actor, route, occasion, required)
    return started


def start_route(
    session: Session, actor: Actor, route: Route, occasion: Occasion, required: bool = False
) -> list[ProcessInstance]:
    definition = definitions.latest_definition(session, route.start, required=required)
    if definition is None:
        return []
    units = _Units(session)
    items = occasion.each.get(route.each, ()) if route.each else (Item({}, {}),)
    started = []
    for item in items:
        facts = {**occasion.facts, **item.facts}
        named = {**occasion.units, **item.units}
        data = {name: _plain(facts[fact]) for name, fact in route.data.items()}
        data |= route.fixed
        owners = {lane: units.get(ref, named) for lane, ref in route.lanes.items()}
        data["lane_owners"] = {lane: unit.code for lane, unit in owners.items() if unit}
        unit = units.get(route.unit, named)
        assert unit is not None  # the table's check: an instance's unit always exists
        case_id = occasion.case.id if occasion.case is not None else None
        started.append(
            instances.start(session, actor, definition, data, case_id=case_id, unit_id=unit.id)
        )
    return started


def _holds(route: Route, occasion: Occasion) -> bool:
    def holds(name: str) -> bool:
        value = occasion.conditions.get(name, False)
        return bool(value()) if callable(value) else bool(value)

    return all(holds(c) for c in route.when) and not any(holds(c) for c in route.unless)


def _plain(value: Any) -> Any:
    """A fact as process data: events as the dicts the clocks read back."""
    if isinstance(value, StartEvent):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _Units:
    """The units a route names, each looked up once."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._found: dict[str, Unit | None] = {}

    def get(self, ref: str, named: Mapping[str, Unit | None]) -> Unit | None:
        if ref in named:
            return named[ref]
        if ref not in self._found:
            self._found[ref] = self._district(ref)
        return self._found[ref]

    def _district(self, kind: str) -> Unit | None:
        if kind in OPTIONAL_UNITS:
            return self._session.scalar(
                select(Unit).where(Unit.kind == kind).order_by(Unit.id).limit(1)
            )
        return org.unit_of_kind(self._session, kind)
