"""The district's settings (``app.config.DISTRICT_SETTINGS``) as the ``settings`` table holds them.

``get`` is the one way to read one, typed; ``change`` the one way to write one: checked against
the setting's type and bounds (every problem named in Chinese, nothing stored), audited as
``setting.change`` with the value before and after.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.config import DISTRICT_SETTINGS, DistrictSetting
from app.errors import InvalidInput
from app.forms import validate_submission
from app.models import Setting
from app.services.actor import Actor
from app.services.identity.permissions import Action, require
from app.services.records import audit
from app.services.uow import unit_of_work

T = TypeVar("T")
log = logging.getLogger(__name__)


def get(session: Session, setting: DistrictSetting[T]) -> T:
    """The stored value, or the default when none is stored. A stored value outside the
    setting's type or bounds (written past ``change``) counts as absent, and is logged."""
    row = session.get(Setting, setting.key)
    if row is None:
        return setting.default
    if problems(setting, row.value):
        log.warning("setting %s holds %r, outside its bounds: default used", setting.key, row.value)
        return setting.default
    return setting.convert(row.value)


@dataclass(frozen=True)
class Current:
    setting: DistrictSetting[Any]
    value: Any  # as stored (JSON), or the default
    stored: bool


def current(session: Session) -> list[Current]:
    """Every district setting with its value, in the registry's order."""
    rows = {r.key: r.value for r in session.scalars(select(Setting).where(
        Setting.key.in_(list(DISTRICT_SETTINGS))
    ))}  # fmt: skip
    return [
        Current(s, rows[s.key], True) if s.key in rows else Current(s, s.default, False)
        for s in DISTRICT_SETTINGS.values()
    ]


def problems(setting: DistrictSetting[Any], value: Any) -> list[str]:
    """What is wrong with ``value`` for ``setting``, in Chinese (empty: nothing)."""
    schema = {"type": "object", "properties": {setting.key: setting.schema}}
    return validate_submission(schema, {setting.key: value}).get(setting.key, [])


@unit_of_work
def change(session: Session, actor: Actor, key: str, value: Any) -> Any:
    """Store ``value`` (JSON) as the setting ``key``; returns it as stored."""
    require(actor.role, Action.CHANGE_SETTINGS)
    setting = DISTRICT_SETTINGS.get(key)
    if setting is None:
        known = "、".join(DISTRICT_SETTINGS)
        raise InvalidInput(f"没有名为 {key} 的设置（可设置：{known}）", {"key": ["没有这项设置"]})
    wrong = problems(setting, value)
    if wrong:
        message = f"设置“{setting.label}”（{key}）的取值不合法"
        raise InvalidInput(message, {key: wrong})
    converted = setting.convert(value)
    stored = list(converted) if isinstance(converted, tuple) else converted
    row = session.get(Setting, key)
    before = None if row is None else row.value
    if row is None:
        session.add(Setting(key=key, value=stored, updated_at=clock.now()))
    else:
        row.value, row.updated_at = stored, clock.now()
    audit.record(session, actor, "setting.change", key=key, value=stored, before=before)
    return stored
