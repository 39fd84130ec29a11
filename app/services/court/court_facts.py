"""Checking and recording what a court message says: texts, dates and units, the case it is
about, and the facts that start deadlines (the day a unit was served, the day the center
received a notice) as the events deadlines count from (``app.clocks.StartEvent``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, inputs
from app.clocks import COURT, SYSTEM, StartEvent
from app.errors import NotFound
from app.models import Case, CourtMessage, ProcessInstance, Unit
from app.models.states import InstanceStatus
from app.services.actor import Actor
from app.services.execution import instances, routes
from app.services.records import archive_store

MAX_TEXT = 2000
MAX_UNITS = 50


def text(payload: dict[str, Any], name: str, errors: dict, required: bool = True) -> str:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            errors[name] = ["此项为必填项"]
        return ""
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        errors[name] = [f"应为不超过 {MAX_TEXT} 字的文本"]
        return ""
    return value.strip()


def day(
    payload: dict[str, Any],
    name: str,
    errors: dict,
    required: bool = True,
    past: bool = False,
    not_before: date | None = None,
) -> str:
    """An ISO date; ``past``: not after today; ``not_before``: not before that day."""
    value = payload.get(name)
    if value in (None, ""):
        if required:
            errors[name] = ["此项为必填项"]
        return ""
    found = _date_or_error(value, name, errors, past, not_before)
    return found.isoformat() if found else ""


def _date_or_error(
    value: Any, name: str, errors: dict, past: bool, not_before: date | None
) -> date | None:
    try:
        found = inputs.parse_day(value)
    except inputs.DateInputError as exc:
        errors.setdefault(name, []).append(f"{exc}：{str(value)[:20]}")
        return None
    if past and found > clock.local_now().date():
        errors.setdefault(name, []).append(f"{found.isoformat()} 晚于今天")
        return None
    if not_before is not None and found < not_before:
        errors.setdefault(name, []).append(
            f"{found.isoformat()} 早于本案登记日期 {not_before.isoformat()}"
        )
        return None
    return found


def units(session: Session, payload: dict[str, Any], name: str, errors: dict) -> list[Unit]:
    """Defendant units: agencies or the district government (a court is never a party)."""
    value = payload.get(name)
    if (
        not isinstance(value, list)
        or not value
        or len(value) > MAX_UNITS
        or not all(isinstance(v, str) for v in value)
    ):
        errors[name] = [f"应为单位代码列表（1 至 {MAX_UNITS} 个）"]
        return []
    codes = list(dict.fromkeys(value))
    found = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    unknown = [c for c in codes if c not in found]
    if unknown:
        errors[name] = [f"未知的单位代码：{', '.join(unknown)}"]
        return []
    not_parties = [c for c in codes if found[c].kind not in ("agency", "government")]
    if not_parties:
        errors[name] = [f"只有行政机关或区政府可以是被告：{', '.join(not_parties)}"]
        return []
    return [found[c] for c in codes]


def case_started_on(case: Case) -> date:
    """The case's first day in the system: no court fact about it can be earlier."""
    registered = clock.to_local(case.created_at).date()
    try:
        received = date.fromisoformat(case.received_on)
    except ValueError:
        return registered
    return min(received, registered)


def court_event(on: str, what: str, message: CourtMessage, case: Case) -> StartEvent:
    """A court fact (a date the message states) as the event a deadline counts from: final, no
    recorded service moves it."""
    return StartEvent(
        on=date.fromisoformat(on), what=what, source=COURT,
        at=clock.to_local(message.received_at), kind="event",
    )  # fmt: skip


def arrival_event(
    what: str, message: CourtMessage, case: Case, receipt: bool = False
) -> StartEvent:
    """The message's arrival in the system as the event a deadline counts from. ``receipt``:
    the timed unit was served on paper as well, so a recorded service (with its evidence, not
    before the case) may move it — a judgment the court sent no service date for."""
    at = clock.to_local(message.received_at)
    return StartEvent(
        on=at.date(), what=what, source=SYSTEM, at=at, receipt=receipt,
        not_before=case_started_on(case) if receipt else None, kind="event",
    )  # fmt: skip


def received_event(
    on: str | None, what: str, message: CourtMessage, case: Case, receipt: bool = False
) -> StartEvent:
    """The day the court states (final) when it states one, else the message's arrival."""
    if on:
        return court_event(on, what, message, case)
    return arrival_event(what, message, case, receipt=receipt)


def case_id(session: Session, case_no: str) -> int | None:
    return session.scalar(select(Case.id).where(Case.case_no == case_no))


def find_case(session: Session, case_no: str) -> Case:
    case = session.scalar(select(Case).where(Case.case_no == case_no))
    if case is None:
        archive_store.refuse_archived_case_no(session, case_no)
        raise NotFound(f"案号不存在：{case_no}")
    return case


def record(
    session: Session, actor: Actor, name: str, case: Case, payload: dict, key: str
) -> CourtMessage:
    message = CourtMessage(
        idempotency_key=key, name=name, case_id=case.id, payload=payload,
        received_at=clock.now(), sender=actor.username, delivered_to=[], started=[],
    )  # fmt: skip
    session.add(message)
    session.flush()
    return message


def deliver(session: Session, case: Case, name: str, payload: dict[str, Any]) -> list[int]:
    running = session.scalars(
        select(ProcessInstance)
        .where(ProcessInstance.case_id == case.id, ProcessInstance.status == InstanceStatus.RUNNING)
        .order_by(ProcessInstance.id)
    )
    return [i.id for i in running if instances.deliver_message(session, i, name, payload)]


def deliver_or_start(
    session: Session, actor: Actor, message: CourtMessage, case: Case, facts: dict[str, Any]
) -> None:
    """Deliver to the case's waiting instances; then start what the routing table routes the
    message to (a mechanism starts there when nothing waited for the message)."""
    message.delivered_to = deliver(session, case, message.name, message.payload)
    occasion = routes.for_case(
        message.name, case, facts, {"not_delivered": not message.delivered_to}
    )
    message.started = [i.id for i in routes.start(session, actor, occasion)]
