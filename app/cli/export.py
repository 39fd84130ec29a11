"""``huajie export …``: an instance's dossier for courts and inspectors, audited as a download."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.common import fail, open_db
from app.errors import ServiceError


@click.group()
def export() -> None:
    """Exports for courts and inspectors."""


@export.command("instance")
@click.argument("instance_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--as",
    "username",
    default=None,
    help="what this user may read (default: everything, as an auditor)",
)
def export_instance(instance_id: int, out: Path | None, username: str | None) -> None:
    """Write the instance's dossier (history JSON, diagram, documents) as a zip."""
    from sqlalchemy import select

    from app.errors import NotFound
    from app.models import User
    from app.services.actor import Actor
    from app.services.records import downloads

    try:  # audited like a download from the page (actor "cli", or the user named)
        with open_db().write() as session:
            reader = Actor("cli", "auditor")
            if username is not None:
                user = session.scalar(select(User).where(User.username == username))
                if user is None:
                    raise NotFound(f"用户不存在：{username}")
                reader = Actor.of(user)
            name, content = downloads.dossier.within(session, reader, instance_id)
    except ServiceError as exc:
        fail(exc)
    target = out or Path(name)
    target.write_bytes(content)
    click.echo(str(target))
