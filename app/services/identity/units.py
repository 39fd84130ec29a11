"""Unit settings for legality review: designated reviewer, legal-adviser firm, lost-case flag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.config import LOST_OUTCOMES, MANY_LOST_THRESHOLD
from app.errors import InvalidInput, NotFound
from app.models import Case, Unit, User
from app.services import district_settings
from app.services.actor import Actor
from app.services.identity import org
from app.services.records import audit


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
    outcomes = district_settings.get(session, LOST_OUTCOMES)
    return int(
        session.scalar(
            select(func.count(Case.id)).where(
                Case.agency_unit_id == unit_id,
                Case.outcome.in_(outcomes),
                Case.outcome_on >= since,
            )
        )
        or 0
    )


def adviser_flag(session: Session, unit: Unit) -> AdviserFlag:
    threshold = district_settings.get(session, MANY_LOST_THRESHOLD)  # 近三年行政败诉案件较多
    lost = lost_cases_in_three_years(session, unit.id)
    government = session.scalar(select(Unit).where(Unit.kind == "government").limit(1))
    gov_firm = government.legal_adviser_firm if government else ""
    flagged = lost >= threshold and bool(gov_firm) and unit.legal_adviser_firm != gov_firm
    return AdviserFlag(unit, lost, threshold, gov_firm, flagged)
