"""``huajie audit …``: verifying the audit chain against its signed checkpoints."""

from __future__ import annotations

import sys

import click

from app.cli.common import open_db
from app.config import Settings


@click.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@click.option(
    "--full", is_flag=True, help="the whole chain, not only what the last verification left"
)
@click.option("--deep", is_flag=True, help="also compare tasks, instances, cases, documents, files")
def audit_verify(full: bool, deep: bool) -> None:
    """Check the audit chain against its signed checkpoints; name what is wrong (exit 1).

    By default only the events added since the last verified checkpoint are read. The result
    is recorded (the 审计日志 page shows it), a verified checkpoint signed when intact, and
    administrators are alerted when not."""
    from app.models.states import VerificationScope
    from app.services.records import verifications

    scope = (
        VerificationScope.DEEP
        if deep
        else VerificationScope.FULL
        if full
        else VerificationScope.NEW
    )
    settings = Settings.from_env()
    db = open_db(settings)
    try:
        report = verifications.run(db, "cli", scope=scope, files=settings.data_dir / "attachments")
    finally:
        db.dispose()
    click.echo(report.summary())
    for problem in report.problems[1:]:
        click.echo(f"  {problem}")
    for note in report.notes:
        click.echo(f"  注：{note}")
    if report.legacy:
        click.echo(f"  其中 {report.legacy} 个事件写于启用审计密钥之前（仅 SHA-256 链，未签名）")
    if report.deep is not None:
        from app.services.records.audit_deep import KIND_NAMES

        def counts(found: dict[str, int]) -> str:
            return "、".join(f"{KIND_NAMES[k]} {v}" for k, v in sorted(found.items())) or "无"

        click.echo(f"  深度比对：{counts(report.deep.checked)}")
        if report.deep.uncovered:
            click.echo(
                f"  未覆盖（最后写于启用密钥之前，无法比对）：{counts(report.deep.uncovered)}"
            )
    if not report.ok:
        sys.exit(1)
