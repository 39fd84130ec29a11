"""``huajie init``: create or upgrade the schema and deploy the shipped processes."""

from __future__ import annotations

import click

from app.cli.common import fail, open_db, use_routing
from app.config import Settings
from app.errors import ServiceError


@click.command()
@click.option("--demo", is_flag=True, help="Also create demo units and users.")
def init(demo: bool) -> None:
    """Create or upgrade the schema and deploy processes/."""
    from app.migrate import upgrade
    from app.services.actor import SYSTEM
    from app.services.design import definitions
    from app.services.records import archive_store

    settings = Settings.from_env()
    use_routing(settings)
    upgrade(settings.database_url)
    db = open_db(settings)
    try:
        with db.write() as session:
            if archive_store.ready(session.connection()):  # the columns a newer model added
                archive_store.ensure(session.connection())
            if demo:
                from app.demo import seed

                users = seed(session)
            deployed = definitions.deploy_directory(
                session, SYSTEM, settings.processes_dir, settings.forms_dir
            )
            summary = [(d.process_id, d.version) for d in deployed]
    except ServiceError as exc:
        fail(exc)
    click.echo(f"数据库：{settings.database_url}")
    for process_id, version in summary:
        click.echo(f"已部署流程 {process_id} v{version}")
    if demo:
        click.echo("演示用户（用户名 / 密码 / 单位 / 角色）：")
        for username, password, unit, role in users:
            click.echo(f"  {username:10} {password:22} {unit:6} {role}")
