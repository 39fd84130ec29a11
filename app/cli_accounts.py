"""``huajie users …`` and ``huajie tokens …``: accounts and API tokens from the command line.

Every operation is a service of ``app.services.identity.accounts`` or
``app.services.identity.org`` run as the system, audited like the same operation from a page.
``app.cli`` imports this module once its helpers exist and adds both groups to ``huajie``:
import ``app.cli``, not this module, first."""

from __future__ import annotations

import click

from app.cli import _db, _fail
from app.config import Settings
from app.errors import ServiceError


@click.group()
def users() -> None:
    """Users."""


@users.command("add")
@click.argument("username")
@click.option("--unit", "unit_code", required=True)
@click.option("--role", required=True)
@click.option("--password", default=None, help="Generated and printed when omitted.")
@click.option("--name", "display_name", default="")
def users_add(
    username: str, unit_code: str, role: str, password: str | None, display_name: str
) -> None:
    from app.services.actor import SYSTEM
    from app.services.identity import org

    try:
        with _db(Settings.from_env()).write() as session:
            _, used = org.add_user(
                session, SYSTEM, username, unit_code, role, password, display_name
            )
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"已添加用户 {username}（{role}@{unit_code}）")
    if password is None:
        click.echo(f"临时密码（首次登录须修改）：{used}")


def _account(change, done: str) -> None:  # type: ignore[no-untyped-def]
    """Run one account operation (``app.services.identity.accounts``) as the system, audited."""
    from app.services.actor import SYSTEM

    try:
        with _db(Settings.from_env()).write() as session:
            result = change(session, SYSTEM)
    except ServiceError as exc:
        _fail(exc)
    click.echo(done)
    if result:
        click.echo(result)


@users.command("deactivate")
@click.argument("username")
@click.option("--reason", default="")
def users_deactivate(username: str, reason: str) -> None:
    """停用: ends every login session of the user and stops their API tokens."""
    from app.services.identity import accounts

    _account(lambda s, a: accounts.deactivate(s, a, username, reason), f"已停用用户 {username}")


@users.command("reactivate")
@click.argument("username")
def users_reactivate(username: str) -> None:
    from app.services.identity import accounts

    _account(lambda s, a: accounts.reactivate(s, a, username), f"已恢复用户 {username}")


@users.command("unlock")
@click.argument("username")
def users_unlock(username: str) -> None:
    """Lift a lock-out after too many wrong passwords."""
    from app.services.identity import accounts

    _account(lambda s, a: accounts.unlock(s, a, username), f"已解除 {username} 的锁定")


@users.command("reset-password")
@click.argument("username")
def users_reset_password(username: str) -> None:
    """Print a temporary password the user must change at the next login."""
    from app.services.identity import accounts

    _account(
        lambda s, a: "临时密码：" + accounts.reset_password(s, a, username),
        f"已重置 {username} 的密码（下次登录须修改）",
    )


@users.command("set-role")
@click.argument("username")
@click.argument("role")
def users_set_role(username: str, role: str) -> None:
    """Change the user's role; ends their login sessions."""
    from app.services.identity import accounts

    _account(lambda s, a: accounts.change_role(s, a, username, role), f"{username} 的角色：{role}")


@users.command("set-unit")
@click.argument("username")
@click.argument("code")
def users_set_unit(username: str, code: str) -> None:
    """Move the user to another unit; ends their login sessions."""
    from app.services.identity import accounts

    _account(lambda s, a: accounts.change_unit(s, a, username, code), f"{username} 的单位：{code}")


@click.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.argument("username")
@click.option(
    "--days", type=int, default=None, help="Valid for N days [default: HUAJIE_TOKEN_DAYS, 365]."
)
def tokens_create(username: str, days: int | None) -> None:
    from app.services.actor import SYSTEM
    from app.services.identity import org

    settings = Settings.from_env()
    try:
        with _db(settings).write() as session:
            token = org.create_token(session, SYSTEM, username, days or settings.token_days)
    except ServiceError as exc:
        _fail(exc)
    click.echo(token)


@tokens.command("list")
def tokens_list() -> None:
    """List API tokens: id, user, role, created, expires, state (active, expired or revoked).

    Never the tokens themselves: only their hashes are stored."""
    from app.services.identity import org

    with _db(Settings.from_env()).read() as session:
        for row in org.list_tokens(session):
            state = org.token_state(row)
            if row.revoked_at:
                state += f" {row.revoked_at.isoformat()}"
            click.echo(
                f"{row.id}\t{row.user.username}\t{row.user.role}\t{row.created_at.isoformat()}"
                f"\texpires {row.expires_at.isoformat()}\t{state}"
            )


@tokens.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    from app.services.actor import SYSTEM
    from app.services.identity import org

    try:
        with _db(Settings.from_env()).write() as session:
            org.revoke_token(session, SYSTEM, token_id)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"已撤销令牌 {token_id}")
