"""``huajie timers …``: firing due timers without a running server (cron-style deployments)."""

from __future__ import annotations

import click

from app.cli.common import open_db


@click.group()
def timers() -> None:
    """Timers."""


@timers.command("run")
def timers_run() -> None:
    """Fire every due timer once and exit (for cron-style deployments)."""
    from app.services.execution import timer_pass as timer_service

    report = timer_service.run_pass(open_db())
    click.echo(f"fired {report.fired} timers in {report.instances} instances")
