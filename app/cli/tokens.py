"""``huajie tokens …``: API tokens (for the court's and other systems), stored hashed."""

from __future__ import annotations

import click

from app.cli.common import as_system, fail, open_db
from app.config import Settings
from app.errors import ServiceError


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
        with open_db(settings).write() as session:
            token = org.create_token(session, SYSTEM, username, days or settings.token_days)
    except ServiceError as exc:
        fail(exc)
    click.echo(token)


@tokens.command("list")
def tokens_list() -> None:
    """List API tokens: id, user, role, created, expires, state (active, expired or revoked).

    Never the tokens themselves: only their hashes are stored."""
    from app.services.identity import org

    with open_db().read() as session:
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
    from app.services.identity import org

    as_system(lambda s, a: org.revoke_token(s, a, token_id))
    click.echo(f"已撤销令牌 {token_id}")
