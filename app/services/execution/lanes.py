"""Which unit owns a lane in an instance.

A lane names a kind of actor. Lanes whose kind has one unit in the district (the center, the
bureau, the government) resolve by kind; lanes whose unit differs per case (案涉行政机关) resolve
from the instance's ``lane_owners`` data (lane name -> unit code), set when the process starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.driver_sql import DriverStatement
from app.errors import InvalidInput
from app.models import Unit
from app.services.identity import org

LANE_UNIT_KIND: dict[str, str] = {
    "区调处中心": "center",
    "区行政争议调处中心": "center",
    "区司法局": "bureau",
    "区政府": "government",
    "区领导": "government",
    "案涉行政机关": "agency",
    "纪检监察机关": "discipline",
}
PER_CASE_KINDS = {"agency"}


def lane_problem(lane: str) -> str | None:
    if not lane:
        return "用户任务不在任何泳道中"
    if lane not in LANE_UNIT_KIND:
        return f"泳道“{lane}”没有对应的单位类型（可用：{'、'.join(LANE_UNIT_KIND)}）"
    return None


def _owner_key(lane: str, data: Mapping[str, Any]) -> tuple[str, str]:
    """How the lane's unit is found: ("code", 单位代码) named in lane_owners, else ("kind", …)."""
    owners = data.get("lane_owners") or {}
    code = owners.get(lane) if isinstance(owners, Mapping) else None
    if code:
        return "code", code
    kind = LANE_UNIT_KIND.get(lane)
    if kind is None:
        raise InvalidInput(f"泳道“{lane}”无法对应到单位")
    if kind in PER_CASE_KINDS:
        raise InvalidInput(f"泳道“{lane}”的承办单位未指定（lane_owners）")
    return "kind", kind


def owner(session: Session, lane: str, data: Mapping[str, Any]) -> Unit:
    by, value = _owner_key(lane, data)
    if by == "code":
        return org.unit_by_code(session, value)
    return org.unit_of_kind(session, value)


class UnitRef(NamedTuple):
    """What a new task needs of its lane's unit (no ORM row: every step asks)."""

    id: int
    designated_reviewer_id: int | None


_REF_COLUMNS = (Unit.id, Unit.designated_reviewer_id)
_REF_BY_CODE = DriverStatement(select(*_REF_COLUMNS).where(Unit.code == bindparam("code")))
_REF_OF_KIND = DriverStatement(
    select(*_REF_COLUMNS).where(Unit.kind == bindparam("kind")).order_by(Unit.id).limit(1)
)


def owner_ref(session: Session, lane: str, data: Mapping[str, Any]) -> UnitRef:
    """``owner`` read with one Core query; a missing unit fails as ``owner`` does."""
    by, value = _owner_key(lane, data)
    statement = _REF_BY_CODE if by == "code" else _REF_OF_KIND
    row = statement.first(session.connection(), {by: value})
    if row is None:
        unit = owner(session, lane, data)  # raises the reason
        return UnitRef(unit.id, unit.designated_reviewer_id)
    return UnitRef(*row)
