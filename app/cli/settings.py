"""``huajie settings …``: the district's settings (``app.config.DISTRICT_SETTINGS``), shown and
changed through ``app.services.district_settings`` (checked, audited)."""

from __future__ import annotations

import json
import sys

import click

from app.cli.common import fail, open_db
from app.config import DISTRICT_SETTINGS
from app.errors import ServiceError


@click.group()
def settings() -> None:
    """The district's settings (stored in the database)."""


@settings.command("show")
def settings_show() -> None:
    """Every setting: its value, what it means, its default."""
    from app.services import district_settings

    with open_db().read() as session:
        for item in district_settings.current(session):
            setting = item.setting
            click.echo(
                f"{setting.key} = {_json(item.value)}\t# {setting.label}：{setting.description}"
                f"（默认 {setting.shown_default()}）"
            )


@settings.command("set")
@click.argument("key", type=click.Choice(list(DISTRICT_SETTINGS)))
@click.argument("value")
def settings_set(key: str, value: str) -> None:
    """Set KEY to VALUE: JSON (0.3, 4, ["败诉"]), or plain text for a text setting."""
    from app.services import district_settings
    from app.services.actor import SYSTEM

    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        if DISTRICT_SETTINGS[key].schema.get("type") != "string":
            click.echo('错误：VALUE 须为 JSON，例如 0.3、4 或 ["败诉"]', err=True)
            sys.exit(2)
        parsed = value
    try:
        stored = district_settings.change(open_db(), SYSTEM, key, parsed)
    except ServiceError as exc:
        fail(exc)
    click.echo(f"{key} = {_json(stored)}")


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
