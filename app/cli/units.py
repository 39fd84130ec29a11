"""``huajie units …``: units (单位), their legality reviewer and legal-adviser firm."""

from __future__ import annotations

import click

from app.cli.common import as_system, fail, open_db
from app.errors import ServiceError


@click.group()
def units() -> None:
    """Units (单位)."""


@units.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--kind", required=True, help="government, bureau, center, agency, court, discipline")
def units_add(code: str, name: str, kind: str) -> None:
    from app.services.identity import org

    as_system(lambda s, a: org.add_unit(s, a, code, name, kind))
    click.echo(f"已添加单位 {code} {name}")


@units.command("set-reviewer")
@click.argument("code")
@click.argument("username")
def units_set_reviewer(code: str, username: str) -> None:
    """Name the unit's designated legality reviewer (合法性审查专人)."""
    from app.services.identity import units as unit_service

    as_system(lambda s, a: unit_service.set_reviewer(s, a, code, username))
    click.echo(f"{code} 的合法性审查专人：{username}")


@units.command("set-adviser-firm")
@click.argument("code")
@click.argument("firm")
def units_set_adviser_firm(code: str, firm: str) -> None:
    """Record the unit's legal-adviser firm (法律顾问单位)."""
    from app.services.identity import units as unit_service

    as_system(lambda s, a: unit_service.set_adviser_firm(s, a, code, firm))
    click.echo(f"{code} 的法律顾问单位：{firm}")


@units.command("set-webhook")
@click.argument("code")
@click.argument("kind", type=click.Choice(["wecom", "dingtalk", "off"]))
@click.argument("url", required=False, default="")
@click.option("--secret", default="", help="钉钉 加签 secret")
def units_set_webhook(code: str, kind: str, url: str, secret: str) -> None:
    """The unit's group robot (群机器人) for its notifications; KIND off removes it."""
    from app.services.actor import SYSTEM
    from app.services.notify import webhooks

    try:
        webhooks.configure(open_db(), SYSTEM, code, kind, url, secret)
    except ServiceError as exc:
        fail(exc)
    click.echo(f"{code} 的群机器人：{'已移除' if kind == 'off' else webhooks.KINDS[kind]}")
