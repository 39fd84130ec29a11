"""``huajie users …``: accounts from the command line.

Every operation is a service of ``app.services.identity.accounts`` or ``app.services.identity.org``
run as the system, audited like the same operation from a page."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from app.cli.common import as_system

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.services.actor import Actor


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
    from app.services.identity import org

    _, used = as_system(
        lambda s, a: org.add_user(s, a, username, unit_code, role, password, display_name)
    )
    click.echo(f"已添加用户 {username}（{role}@{unit_code}）")
    if password is None:
        click.echo(f"临时密码（首次登录须修改）：{used}")


def _account(change: Callable[[Session, Actor], Any], done: str) -> None:
    """Run one account operation (``app.services.identity.accounts``) and say what it did."""
    result = as_system(change)
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
