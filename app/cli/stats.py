"""``huajie stats …``: the statistics' aggregates (``app.services.reporting.aggregates``)."""

from __future__ import annotations

import click

from app.cli.common import fail, open_db
from app.errors import ServiceError


@click.group()
def stats() -> None:
    """统计分析的汇总数据."""


@stats.command("rebuild")
def stats_rebuild() -> None:
    """Recompute every aggregate from the facts (audited); prints what each statistic counts."""
    from app.services.actor import SYSTEM
    from app.services.reporting import repair

    try:
        counted = repair.rebuild(open_db(), SYSTEM)
    except ServiceError as exc:
        fail(exc)
    for statistic, n in sorted(counted.items()):
        click.echo(f"{statistic}\t{n}")
