"""Unit settings for legality review: designated reviewer, legal-adviser firm, lost-case flag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.errors import InvalidInput, NotFound
from app.models import Case, Setting, Unit, User
from app.services.actor import Actor
from app.services.identity import org
from app.services.records import audit

DEFAULT_LOST_OUTCOMES = ["败诉", "部分败诉"]
DEFAULT_MANY_LOST = 3  # "近三年行政败诉案件较多": at least this many in three years


def setting(session: Session, key: str, default: object) -> object:
    row = session.get(Setting, key)
    return default if row is None else row.value


def put_setting(session: Session, actor: Actor, key: str, value: object) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value, updated_at=clock.now()))
    else:
        row.value, row.updated_at = value, clock.now()
    audit.record(session, actor, "setting.change", key=key, value=value)


def set_reviewer(session: Session, actor: Actor, unit_code: str, username: str) -> None:
    unit = org.unit_by_code(session, unit_code)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"用户不存在：{username}")
    if user.unit_id != unit.id:
        raise InvalidInput("审查专人须为本单位人员")
    unit.designated_reviewer_id = user.id
    audit.record(session, actor, "unit.reviewer", unit=unit_code, username=username)


def set_adviser_firm(session: Session, actor: Actor, unit_code: str, firm: str) -> None:
    unit = org.unit_by_code(session, unit_code)
    unit.legal_adviser_firm = firm.strip()
    audit.record(session, actor, "unit.adviser_firm", unit=unit_code, firm=firm)


@dataclass
class AdviserFlag:
    """近三年败诉较多的单位，法律顾问单位选配上应与区政府保持相对统一."""

    unit: Unit
    lost_cases: int
    threshold: int
    government_firm: str
    flagged: bool  # many losses and a different adviser firm from the district government's


def lost_cases_in_three_years(session: Session, unit_id: int, today: date | None = None) -> int:
    today = today or clock.local_now().date()
    since = today.replace(year=today.year - 3).isoformat()
    outcomes = setting(session, "lost_outcomes", DEFAULT_LOST_OUTCOMES)
    return int(
        session.scalar(
            select(func.count(Case.id)).where(
                Case.agency_unit_id == unit_id,
                Case.outcome.in_(list(outcomes)),  # type: ignore[arg-type]
                Case.outcome_on >= since,
            )
        )
        or 0
    )


def adviser_flag(session: Session, unit: Unit) -> AdviserFlag:
    threshold = int(setting(session, "many_lost_threshold", DEFAULT_MANY_LOST))  # type: ignore[arg-type]
    lost = lost_cases_in_three_years(session, unit.id)
    government = session.scalar(select(Unit).where(Unit.kind == "government").limit(1))
    gov_firm = government.legal_adviser_firm if government else ""
    flagged = lost >= threshold and bool(gov_firm) and unit.legal_adviser_firm != gov_firm
    return AdviserFlag(unit, lost, threshold, gov_firm, flagged)
