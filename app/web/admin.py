"""系统管理 in the browser: users, units and API tokens (settings and the holiday schedule are in
``admin_calendar``). Administrators only (the permission table); each change is one audited
service call (``app.services.identity.administration``), the command line's twin.

A temporary password or a new token is shown once, on the page the change answers with: never
in a flashed message (the session cookie is signed, not encrypted) and never stored.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import clock
from app.errors import Conflict, InvalidInput
from app.models import ROLES, UNIT_KINDS, User
from app.services.identity import accounts, administration, org
from app.services.notify import webhooks
from app.web.context import actor, db, settings

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _field(name: str) -> str:
    return request.form.get(name, "").strip()


def _users_page(errors: dict[str, list[str]] | None = None, **extra: Any) -> ResponseReturnValue:
    with db().read() as session:
        users = administration.users(session)
        units = administration.all_units(session)
        page = render_template(
            "admin/users.html", users=users, units=units, roles=ROLES, errors=errors or {},
            form=request.form if errors else {}, **extra,
        )  # fmt: skip
    return page, 400 if errors else 200


@bp.route("/users", methods=["GET", "POST"])
@login_required
def users() -> ResponseReturnValue:
    """The list of users, and 添加用户."""
    if request.method == "GET":
        return _users_page()
    new = administration.NewUser(
        _field("username"), _field("display_name"), _field("unit"), _field("role"),
        _field("email"),
    )  # fmt: skip
    try:
        password = administration.create_user(db(), actor(), new)
    except InvalidInput as exc:
        return _users_page(exc.errors)
    return _users_page(created=new.username, password=password)


USER_CHANGES = {
    "deactivate": "已停用",
    "reactivate": "已恢复",
    "unlock": "已解除锁定",
    "role": "已变更角色",
    "unit": "已变更单位",
    "email": "已修改电子邮箱",
}


def _user_page(
    username: str, errors: dict[str, list[str]] | None = None, **extra: Any
) -> ResponseReturnValue:
    with db().read() as session:
        user = accounts.user_named(session, username)
        page = render_template(
            "admin/user.html", user=user, units=administration.all_units(session), roles=ROLES,
            errors=errors or {}, locked=_locked(user), **extra,
        )  # fmt: skip
    return page, 400 if errors else 200


def _locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > clock.now()


@bp.route("/users/<username>", methods=["GET", "POST"])
@login_required
def user_page(username: str) -> ResponseReturnValue:
    """One user: 停用/恢复, 解除锁定, 重置密码, 角色, 单位, 电子邮箱."""
    if request.method == "GET":
        return _user_page(username)
    do, who = request.form.get("do", ""), actor()
    try:
        if do == "reset":
            password = administration.reset_password(db(), who, username)
            return _user_page(username, password=password)
        if do == "deactivate":
            administration.deactivate(db(), who, username, _field("reason"))
        elif do == "reactivate":
            administration.reactivate(db(), who, username)
        elif do == "unlock":
            administration.unlock(db(), who, username)
        elif do == "role":
            administration.change_role(db(), who, username, _field("role"))
        elif do == "unit":
            administration.change_unit(db(), who, username, _field("unit"))
        elif do == "email":
            administration.change_email(db(), who, username, _field("email"))
        else:
            raise InvalidInput("未知的操作", {"do": ["未知的操作"]})
    except (InvalidInput, Conflict) as exc:  # Conflict: the last active administrator
        return _user_page(username, getattr(exc, "errors", None) or {"": [exc.message]})
    flash(f"{username}：{USER_CHANGES[do]}")
    return redirect(url_for("admin.user_page", username=username))


@bp.route("/units", methods=["GET", "POST"])
@login_required
def units() -> ResponseReturnValue:
    """Each unit's designated legality reviewer (审查专人) and legal-adviser firm."""
    errors: dict[str, list[str]] = {}
    code = _field("unit")
    if request.method == "POST":
        try:
            if request.form.get("do") == "add":
                administration.create_unit(
                    db(), actor(), _field("code"), _field("name"), _field("kind")
                )
            elif request.form.get("do") == "reviewer":
                administration.set_reviewer(db(), actor(), code, _field("username"))
            elif request.form.get("do") == "webhook":
                webhooks.configure(
                    db(), actor(), code, _field("kind"), _field("url"), _field("secret")
                )
            else:
                administration.set_adviser_firm(db(), actor(), code, _field("firm"))
        except InvalidInput as exc:
            errors = exc.errors
        else:
            added = request.form.get("do") == "add"
            flash(f"已新增单位 {_field('name')}" if added else "已保存")
            return redirect(url_for("admin.units") + f"#unit-{_field('code') if added else code}")
    with db().read() as session:
        rows = administration.all_units(session)
        reviewers = {u.id: u for u in administration.users(session) if u.active}
        page = render_template(
            "admin/units.html", units=rows, people=reviewers, errors=errors, failed_unit=code,
            robots=webhooks.robots(session), deliveries=webhooks.last_deliveries(session),
            robot_kinds=webhooks.KINDS, unit_kinds=UNIT_KINDS, adding=request.form,
        )  # fmt: skip
    return page, 400 if errors else 200


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> ResponseReturnValue:
    """API tokens: the list with expiry and state, and 创建 (the token is shown once)."""
    errors: dict[str, list[str]] = {}
    created = None
    if request.method == "POST":
        try:
            created = administration.create_token(db(), actor(), _field("username"), _field("days"))
        except InvalidInput as exc:
            errors = exc.errors
    with db().read() as session:
        page = render_template(
            "admin/tokens.html", tokens=administration.tokens(session), state=org.token_state,
            users=[u for u in administration.users(session) if u.active], errors=errors,
            created=created, default_days=settings().token_days,
            form=request.form if errors else {},
        )  # fmt: skip
    return page, 400 if errors else 200


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    administration.revoke_token(db(), actor(), token_id)
    flash(f"已撤销令牌 {token_id}")
    return redirect(url_for("admin.tokens"))
