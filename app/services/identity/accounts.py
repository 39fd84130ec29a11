"""Account operations (账户管理): a user's own password change, and what an administrator does
to an account (deactivate, reactivate, unlock, reset the password, change role or unit).

Each is one transaction with its audit event. Whatever changes who a person is or how they
prove it (deactivation, a new password, another role or unit) ends every login session of
theirs, in every process. Deactivation also stops their API tokens: the token check reads
whether the user is active on every request.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput, NotFound
from app.models import ROLES, User
from app.services.actor import Actor
from app.services.identity import login_sessions, org, passwords
from app.services.records import audit


def user_named(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"用户不存在：{username}")
    return user


def _known_words(user: User) -> tuple[str, ...]:
    return (user.username, user.display_name, user.unit.code)


def change_password(
    session: Session, user_id: int, current: str, new: str, repeated: str, ip: str = ""
) -> User:
    """The user's own change: the current password, the new one twice, the policy.

    Every problem is reported at once, by field (``InvalidInput``). A wrong current password is
    audited and counts towards the account's lock-out like a failed login, so a borrowed
    session cannot guess it freely: a caller that wants those kept commits despite the error.
    Ends every session of the user and starts one for this browser (the returned user's
    ``login_token``).
    """
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound("用户不存在或已停用")
    errors: dict[str, list[str]] = {}
    wrong_current = bool(current) and not passwords.verify(user.password_hash, current)
    if not current:
        errors["current_password"] = ["请输入当前密码"]
    elif wrong_current:
        errors["current_password"] = ["当前密码不正确"]
    if new != repeated:
        errors["repeat_password"] = ["两次输入的新密码不一致"]
    policy = passwords.problems(new, known=_known_words(user))
    if policy:
        errors["new_password"] = policy
    elif new == current and "current_password" not in errors:
        errors["new_password"] = ["新密码不能与当前密码相同"]
    if errors:
        if wrong_current:
            audit.record(session, user.username, "password.change_refused", ip=ip)
            org.note_wrong_password(session, user)
        raise InvalidInput("密码未修改，请按提示更正", errors)
    user.password_hash = passwords.hash_password(new)
    user.must_change_password = False
    ended = login_sessions.end_all(session, user.id, "password_changed")
    audit.record(session, user.username, "password.change", sessions_ended=ended, ip=ip)
    login_sessions.start(session, user, ip)
    return user


def _guard_last_admin(session: Session, user: User, what: str) -> None:
    """Refuse to leave the system without an active administrator."""
    if user.role != "admin" or not user.active:
        return
    admins = session.scalar(
        select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))
    )
    if (admins or 0) <= 1:
        raise Conflict(f"{user.username} 是唯一的在用系统管理员，不能{what}")


def deactivate(session: Session, actor: Actor, username: str, reason: str = "") -> None:
    """停用: no more logins, every session ended, every API token refused."""
    user = user_named(session, username)
    if not user.active:
        return
    _guard_last_admin(session, user, "停用")
    user.active = False
    ended = login_sessions.end_all(session, user.id, "deactivated")
    org.forget_token_actors()
    audit.record(
        session, actor, "user.deactivate", username=username, reason=reason, sessions_ended=ended
    )


def reactivate(session: Session, actor: Actor, username: str) -> None:
    user = user_named(session, username)
    if user.active:
        return
    user.active = True
    audit.record(session, actor, "user.reactivate", username=username)


def unlock(session: Session, actor: Actor, username: str) -> None:
    """Lift a lock-out (too many wrong passwords) before its time."""
    user = user_named(session, username)
    user.locked_until, user.failed_logins = None, 0
    audit.record(session, actor, "user.unlock", username=username)


def reset_password(session: Session, actor: Actor, username: str) -> str:
    """A temporary password the user must change at the next login; returns it (to hand over
    in person). Ends every session of the user and lifts a lock-out."""
    user = user_named(session, username)
    temporary = passwords.temporary()
    user.password_hash = passwords.hash_password(temporary)
    user.must_change_password = True
    user.locked_until, user.failed_logins = None, 0
    ended = login_sessions.end_all(session, user.id, "password_reset")
    audit.record(session, actor, "user.password_reset", username=username, sessions_ended=ended)
    return temporary


def change_role(session: Session, actor: Actor, username: str, role: str) -> None:
    if role not in ROLES:
        message = f"未知的角色：{role}（可选：{', '.join(ROLES)}）"
        raise InvalidInput(message, {"role": [message]})
    user = user_named(session, username)
    if user.role == role:
        return
    if role != "admin":
        _guard_last_admin(session, user, "改为其他角色")
    before, user.role = user.role, role
    ended = login_sessions.end_all(session, user.id, "role_changed")
    org.forget_token_actors()
    audit.record(
        session, actor, "user.role_change", username=username, before=before, after=role,
        sessions_ended=ended,
    )  # fmt: skip


def change_unit(session: Session, actor: Actor, username: str, unit_code: str) -> None:
    user = user_named(session, username)
    unit = org.unit_by_code(session, unit_code)
    if user.unit_id == unit.id:
        return
    before = user.unit.code
    user.unit_id = unit.id
    ended = login_sessions.end_all(session, user.id, "unit_changed")
    org.forget_token_actors()
    audit.record(
        session, actor, "user.unit_change", username=username, before=before, after=unit_code,
        sessions_ended=ended,
    )  # fmt: skip
