"""``huajie archive …``: moving finished instances past the retention period to the archive."""

from __future__ import annotations

import click

from app.cli.common import fail, open_db
from app.errors import InvalidInput, ServiceError
from app.services.records.archive_store import MOVED


@click.group()
def archive() -> None:
    """归档: finished instances past the retention period (archive_after_years)."""


@archive.command("run")
@click.option("--before", "before", default=None, help="only instances that ended before this day")
@click.option("--dry-run", is_flag=True, help="count what would move, move nothing")
def archive_run(before: str | None, dry_run: bool) -> None:
    """Move finished instances (with their case's whole tree) older than the retention period
    into the archive, batch by batch (audited); a second run moves nothing more."""
    from app import inputs
    from app.services.actor import SYSTEM
    from app.services.records import archiving

    try:
        day = inputs.parse_day(before) if before else None
    except inputs.DateInputError as exc:
        fail(InvalidInput(f"--before：{exc}", {"before": [str(exc)]}))
    try:
        report = archiving.run(open_db(), SYSTEM, day, dry_run=dry_run)
    except ServiceError as exc:
        fail(exc)
    verb = "可归档" if dry_run else "已归档"
    click.echo(
        f"{verb}：{report.instances} 个流程实例，{report.cases} 个案件"
        f"（{report.cutoff.isoformat()} 之前办结或撤销）"
    )
    for name in MOVED:
        if report.rows.get(name):
            click.echo(f"{name}\t{report.rows[name]}")
