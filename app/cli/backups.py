"""``huajie backup`` and ``huajie restore``: one archive of the SQLite database, the attachments
and the audit checkpoints, checked whole before a restore replaces anything."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.cli.common import open_db
from app.config import Settings


@click.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup(target: Path) -> None:
    """Write one archive of the SQLite database, the attachments and the audit checkpoints
    (the app may keep running; the audit key is not included)."""
    from app.backup import BackupError
    from app.backup import backup as do_backup

    try:
        done = do_backup(Settings.from_env(), target)
    except BackupError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(2)
    click.echo(f"已备份到 {done.path}：{done.events} 个审计事件，{done.attachments} 个附件")
    click.echo("审计密钥不在备份中：请另行保管密钥文件（见 docs/operations.md）")


@click.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(source: Path) -> None:
    """Check an archive made by `huajie backup` whole, then replace the database, attachments
    and checkpoints with it (stop the app first; the audit key must be in place)."""
    from app.backup import BackupError
    from app.migrate import upgrade
    from app.restore import restore as do_restore
    from app.services.records import audit as audit_service
    from app.services.records import verifications

    settings = Settings.from_env()
    try:
        manifest = do_restore(settings, source)
    except BackupError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(2)
    upgrade(settings.database_url)  # a backup of an older schema is brought up to date
    db = open_db(settings)
    try:
        with db.write() as session:
            audit_service.record(
                session, "cli", "backup.restore", file=source.name,
                backup_created_at=manifest.get("created_at"), events=manifest.get("events"),
            )  # fmt: skip
        report = verifications.run(db, "cli")
    finally:
        db.dispose()
    click.echo(f"已从 {source} 恢复（备份时间 {manifest.get('created_at')}）")
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)
