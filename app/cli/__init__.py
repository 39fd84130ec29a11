"""The ``huajie`` command: one module per command group, each a thin shell over the services."""

from __future__ import annotations

import click

from app.cli import (
    archive,
    audit,
    backups,
    export,
    holidays,
    install,
    serve,
    settings,
    stats,
    timers,
    tokens,
    units,
    users,
)


@click.group()
def main() -> None:
    """化解 (huajie): BPMN orchestration of the ten mechanisms."""


for command in (
    install.init, serve.serve, units.units, users.users, tokens.tokens, timers.timers,
    holidays.calendar, audit.audit, export.export, backups.backup, backups.restore,
    settings.settings, stats.stats, archive.archive,
):  # fmt: skip
    main.add_command(command)
