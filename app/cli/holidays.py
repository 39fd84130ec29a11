"""``huajie calendar …``: the working-day calendar: deadlines, and importing a year's holidays."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from app.cli.common import fail, initialised, open_db
from app.errors import ServiceError


@click.group()
def calendar() -> None:
    """The working-day calendar."""


@calendar.command("deadline")
@click.option("--from", "start", required=True, help="YYYY-MM-DD, the triggering day")
@click.option("--working-days", type=int, default=None)
@click.option("--calendar-days", type=int, default=None)
@click.option("--explain", is_flag=True, help="Also print why the deadline is that day.")
def calendar_deadline(
    start: str, working_days: int | None, calendar_days: int | None, explain: bool
) -> None:
    """Print the deadline date, then `provisional` when no official data covered it.

    Works before `huajie init` too, on the statutory holiday data alone (and says so)."""
    from app.services.execution import holidays as calendar_service

    try:
        day = date.fromisoformat(start)
    except ValueError:
        click.echo("错误：--from 须为 YYYY-MM-DD", err=True)
        sys.exit(2)
    db = open_db()
    try:
        if initialised(db):
            with db.read() as session:
                result = calendar_service.deadline(session, day, working_days, calendar_days)
        else:
            click.echo(
                "提示：数据库尚未初始化（运行 huajie init），仅按法定节假日数据计算", err=True
            )
            result = calendar_service.deadline(None, day, working_days, calendar_days)
    except ServiceError as exc:
        fail(exc)
    click.echo(result.due_date.isoformat() + (" provisional" if result.provisional else ""))
    if explain:
        click.echo(result.explain())


@calendar.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def calendar_import(file: Path) -> None:
    """Import a year's holiday schedule (a declared year replaces what was stored for it) and
    recompute every waiting deadline it may move; each moved one is audited and its unit told."""
    from app.services.actor import SYSTEM
    from app.services.execution import holidays as calendar_service
    from app.services.execution import timer_pass as timer_service

    db = open_db()
    if not initialised(db):
        click.echo("错误：数据库尚未初始化，请先运行 huajie init", err=True)
        sys.exit(2)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        click.echo("错误：文件须为 UTF-8 编码", err=True)
        sys.exit(2)
    try:
        with db.write() as session:
            days, years = calendar_service.import_schedule(session, SYSTEM, text, file.name)
    except ServiceError as exc:
        fail(exc)
    instances = timer_service.recompute_after_import(db, years)
    click.echo(
        json.dumps(
            {"days": days, "years": sorted(years), "instances_recomputed": instances},
            ensure_ascii=False,
        )
    )
