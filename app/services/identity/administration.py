"""Administration from the browser (系统管理): accounts, units and API tokens.

Each operation is a unit of work run by an administrator (``Action.ADMINISTER``): it checks
the permission table, then runs the same audited step the command line runs as the system
(``accounts``, ``org``, ``units``), so a change made on a page and one made with ``huajie`` leave
the same audit event. Form input is checked field by field: every problem at once, nothing
stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.models import ROLES, UNIT_KINDS, ApiToken, Unit, User
from app.services.actor import Actor
from app.services.identity import accounts, org, units
from app.services.identity.permissions import Action, require
from app.services.records import audit
from app.services.uow import unit_of_work

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
UNIT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_EMAIL = 200
MAX_NAME = 100
MAX_FIRM = 200


@dataclass(frozen=True)
class NewUser:
    username: str
    display_name: str
    unit_code: str
    role: str
    email: str


def _email_problem(email: str) -> str | None:
    if email and (len(email) > MAX_EMAIL or not EMAIL.match(email)):
        return "电子邮箱格式不正确（例如 wangmin@hongze.gov.cn）"
    return None


def _new_user_problems(session: Session, new: NewUser) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not new.username:
        errors["username"] = ["请填写用户名"]
    elif not USERNAME.match(new.username):
        errors["username"] = ["用户名须为 2–64 位字母、数字、下划线、点或连字符"]
    elif session.scalar(select(User.id).where(User.username == new.username)) is not None:
        errors["username"] = [f"用户名已存在：{new.username}"]
    if len(new.display_name) > MAX_NAME:
        errors["display_name"] = [f"姓名不能超过 {MAX_NAME} 字"]
    if session.scalar(select(Unit.id).where(Unit.code == new.unit_code)) is None:
        errors["unit"] = ["请选择单位"]
    if new.role not in ROLES:
        errors["role"] = ["请选择角色"]
    if problem := _email_problem(new.email):
        errors["email"] = [problem]
    return errors


@unit_of_work
def create_user(session: Session, actor: Actor, new: NewUser) -> str:
    """添加用户 with a temporary password (returned once, to hand over in person): the user
    chooses their own at the first login."""
    require(actor.role, Action.ADMINISTER)
    errors = _new_user_problems(session, new)
    if errors:
        raise InvalidInput("用户未添加，请按提示更正", errors)
    user, password = org.add_user(
        session, actor, new.username, new.unit_code, new.role, None, new.display_name
    )
    user.email = new.email
    return password


@unit_of_work
def deactivate(session: Session, actor: Actor, username: str, reason: str) -> None:
    require(actor.role, Action.ADMINISTER)
    if actor.username == username:
        raise InvalidInput("不能停用自己的账户", {"username": ["不能停用自己的账户"]})
    accounts.deactivate(session, actor, username, reason)


@unit_of_work
def reactivate(session: Session, actor: Actor, username: str) -> None:
    require(actor.role, Action.ADMINISTER)
    accounts.reactivate(session, actor, username)


@unit_of_work
def unlock(session: Session, actor: Actor, username: str) -> None:
    require(actor.role, Action.ADMINISTER)
    accounts.unlock(session, actor, username)


@unit_of_work
def reset_password(session: Session, actor: Actor, username: str) -> str:
    require(actor.role, Action.ADMINISTER)
    return accounts.reset_password(session, actor, username)


@unit_of_work
def change_role(session: Session, actor: Actor, username: str, role: str) -> None:
    require(actor.role, Action.ADMINISTER)
    accounts.change_role(session, actor, username, role)


@unit_of_work
def change_unit(session: Session, actor: Actor, username: str, unit_code: str) -> None:
    require(actor.role, Action.ADMINISTER)
    accounts.change_unit(session, actor, username, unit_code)


@unit_of_work
def change_email(session: Session, actor: Actor, username: str, email: str) -> None:
    """The address reminders and digests are mailed to (empty: none)."""
    require(actor.role, Action.ADMINISTER)
    email = email.strip()
    if problem := _email_problem(email):
        raise InvalidInput(problem, {"email": [problem]})
    user = accounts.user_named(session, username)
    if user.email == email:
        return
    before, user.email = user.email, email
    audit.record(session, actor, "user.email_change", username=username, before=before, after=email)


def _new_unit_problems(session: Session, code: str, name: str, kind: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not code:
        errors["code"] = ["请填写单位代码"]
    elif not UNIT_CODE.match(code):
        errors["code"] = ["单位代码须为 1–64 位字母、数字、下划线或连字符（例如 GTZY）"]
    elif session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        errors["code"] = [f"单位代码已存在：{code}"]
    if not name:
        errors["name"] = ["请填写单位名称"]
    elif len(name) > MAX_FIRM:
        errors["name"] = [f"单位名称不能超过 {MAX_FIRM} 字"]
    elif session.scalar(select(Unit.id).where(Unit.name == name)) is not None:
        errors["name"] = [f"单位名称已存在：{name}"]
    if kind not in UNIT_KINDS:
        errors["kind"] = ["请选择单位类型"]
    return errors


@unit_of_work
def create_unit(session: Session, actor: Actor, code: str, name: str, kind: str) -> Unit:
    """新增单位: a town, street or department joins (its people are added afterwards)."""
    require(actor.role, Action.ADMINISTER)
    code, name = code.strip(), name.strip()
    errors = _new_unit_problems(session, code, name, kind)
    if errors:
        raise InvalidInput("单位未添加，请按提示更正", errors)
    return org.add_unit(session, actor, code, name, kind)


@unit_of_work
def set_reviewer(session: Session, actor: Actor, unit_code: str, username: str) -> None:
    require(actor.role, Action.ADMINISTER)
    if not username:
        raise InvalidInput("请选择合法性审查专人", {"username": ["请选择合法性审查专人"]})
    units.set_reviewer(session, actor, unit_code, username)


@unit_of_work
def set_adviser_firm(session: Session, actor: Actor, unit_code: str, firm: str) -> None:
    require(actor.role, Action.ADMINISTER)
    if len(firm.strip()) > MAX_FIRM:
        message = f"法律顾问单位名称不能超过 {MAX_FIRM} 字"
        raise InvalidInput(message, {"firm": [message]})
    units.set_adviser_firm(session, actor, unit_code, firm)


MAX_TOKEN_DAYS = 3650


@unit_of_work
def create_token(session: Session, actor: Actor, username: str, days_text: str) -> str:
    """A new API token for ``username``; the token itself is returned once and never stored."""
    require(actor.role, Action.ADMINISTER)
    errors: dict[str, list[str]] = {}
    days = int(days_text) if days_text.strip().isdigit() else 0
    if not 1 <= days <= MAX_TOKEN_DAYS:
        errors["days"] = [f"有效期须为 1 至 {MAX_TOKEN_DAYS} 的整数（天）"]
    if session.scalar(select(User.id).where(User.username == username)) is None:
        errors["username"] = ["请选择用户"]
    if errors:
        raise InvalidInput("令牌未创建，请按提示更正", errors)
    return org.create_token(session, actor, username, days)


@unit_of_work
def revoke_token(session: Session, actor: Actor, token_id: int) -> None:
    require(actor.role, Action.ADMINISTER)
    org.revoke_token(session, actor, token_id)


def users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.unit_id, User.username)))


def all_units(session: Session) -> list[Unit]:
    return list(session.scalars(select(Unit).order_by(Unit.id)))


def tokens(session: Session) -> list[ApiToken]:
    return org.list_tokens(session)
