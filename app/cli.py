"""The ``huajie`` command."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

import click

from app.config import Settings
from app.db import Database
from app.errors import ServiceError


def _db(settings: Settings) -> Database:
    return Database.open(settings)


def _fail(exc: ServiceError) -> None:
    click.echo(f"错误：{exc.message}", err=True)
    for field, messages in getattr(exc, "errors", {}).items():
        for message in messages:
            click.echo(f"  {field or '-'}: {message}", err=True)
    sys.exit(2)


def _use_routing(settings: Settings) -> None:
    """Check the routing table beside the diagrams and put it in use (processes/routing.toml)."""
    from app.services.design import routing

    try:
        routing.use(settings.processes_dir)
    except ServiceError as exc:
        _fail(exc)


@click.group()
def main() -> None:
    """化解 (huajie): BPMN orchestration of the ten mechanisms."""


@main.command()
@click.option("--demo", is_flag=True, help="Also create demo units and users.")
def init(demo: bool) -> None:
    """Create or upgrade the schema and deploy processes/."""
    from app.migrate import upgrade
    from app.services.actor import SYSTEM
    from app.services.design import definitions

    settings = Settings.from_env()
    _use_routing(settings)
    upgrade(settings.database_url)
    db = _db(settings)
    try:
        with db.write() as session:
            if demo:
                from app.demo import seed

                users = seed(session)
            deployed = definitions.deploy_directory(
                session, SYSTEM, settings.processes_dir, settings.forms_dir
            )
            summary = [(d.process_id, d.version) for d in deployed]
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"数据库：{settings.database_url}")
    for process_id, version in summary:
        click.echo(f"已部署流程 {process_id} v{version}")
    if demo:
        click.echo("演示用户（用户名 / 密码 / 单位 / 角色）：")
        for username, password, unit, role in users:
            click.echo(f"  {username:10} {password:22} {unit:6} {role}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--threads", default=None, type=int,
    help="per process [default: 8 in one process; 1 in each of several]",
)  # fmt: skip
@click.option(
    "--workers", default=1, show_default=True, type=int,
    help="processes; more than one runs granian on app.wsgi (the production server)",
)  # fmt: skip
def serve(host: str, port: int, threads: int | None, workers: int) -> None:
    """Run the web app and its timer scheduler."""
    threads = threads if threads is not None else (8 if workers == 1 else 1)
    if workers < 1 or threads < 1:
        _fail(ServiceError("--workers 和 --threads 至少为 1"))
    if workers > 1:
        _use_routing(Settings.from_env())  # before the workers: each would fail on its own
        click.echo(f"化解 正在运行：http://{host}:{port}/（{workers} 个进程）")
        _granian(host, port, workers, threads)
        return
    from waitress import serve as waitress_serve

    from app.scheduler import TimerScheduler
    from app.serving import freeze_for_serving
    from app.web.factory import create_app

    app = create_app()
    scheduler = TimerScheduler(app.extensions["huajie.db"])
    scheduler.start()
    freeze_for_serving()
    click.echo(f"化解 正在运行：http://{host}:{port}/")
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="huajie")
    finally:
        scheduler.shutdown()


def _granian(host: str, port: int, workers: int, threads: int) -> None:
    """granian (extra ``prod``): HTTP in Rust, ``workers`` processes each importing
    ``app.wsgi`` after the fork (its own database connections and timer scheduler), each
    running the app on ``threads`` Python threads.

    One thread per process by default: a completion is CPU work and Python runs one thread of
    a process at a time, so processes, not threads, use the cores. Connections are not kept
    alive: a kept connection ties its client to one process, so clients can share out unevenly
    and wait longer on a busy one (keep-alive gained nothing in the benchmark); a new
    connection per request spreads them.
    """
    try:
        from granian import Granian
        from granian.constants import HTTPModes, Interfaces
        from granian.http import HTTP1Settings
    except ImportError:
        _fail(ServiceError("多进程运行需要 granian：pip install 'huajie[prod]'"))

    from app.serving import MASTER_PID_ENV

    os.environ[MASTER_PID_ENV] = str(os.getpid())  # workers end with this process
    Granian(
        "app.wsgi:app", address=host, port=port, interface=Interfaces.WSGI, workers=workers,
        blocking_threads=threads, http=HTTPModes.http1, websockets=False,
        http1_settings=HTTP1Settings(keep_alive=False), respawn_failed_workers=True,
    ).serve()  # fmt: skip


@main.group()
def units() -> None:
    """Units (单位)."""


@units.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--kind", required=True, help="government, bureau, center, agency, court, discipline")
def units_add(code: str, name: str, kind: str) -> None:
    from app.services.actor import SYSTEM
    from app.services.identity import org

    try:
        with _db(Settings.from_env()).write() as session:
            org.add_unit(session, SYSTEM, code, name, kind)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"已添加单位 {code} {name}")


@units.command("set-reviewer")
@click.argument("code")
@click.argument("username")
def units_set_reviewer(code: str, username: str) -> None:
    """Name the unit's designated legality reviewer (合法性审查专人)."""
    from app.services.actor import SYSTEM
    from app.services.identity import units as unit_service

    try:
        with _db(Settings.from_env()).write() as session:
            unit_service.set_reviewer(session, SYSTEM, code, username)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"{code} 的合法性审查专人：{username}")


@units.command("set-adviser-firm")
@click.argument("code")
@click.argument("firm")
def units_set_adviser_firm(code: str, firm: str) -> None:
    """Record the unit's legal-adviser firm (法律顾问单位)."""
    from app.services.actor import SYSTEM
    from app.services.identity import units as unit_service

    try:
        with _db(Settings.from_env()).write() as session:
            unit_service.set_adviser_firm(session, SYSTEM, code, firm)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"{code} 的法律顾问单位：{firm}")


@main.group()
def timers() -> None:
    """Timers."""


@timers.command("run")
def timers_run() -> None:
    """Fire every due timer once and exit (for cron-style deployments)."""
    from app.services.execution import timer_pass as timer_service

    report = timer_service.run_pass(_db(Settings.from_env()))
    click.echo(f"fired {report.fired} timers in {report.instances} instances")


@main.group()
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
    db = _db(Settings.from_env())
    try:
        if _initialised(db):
            with db.read() as session:
                result = calendar_service.deadline(session, day, working_days, calendar_days)
        else:
            click.echo(
                "提示：数据库尚未初始化（运行 huajie init），仅按法定节假日数据计算", err=True
            )
            result = calendar_service.deadline(None, day, working_days, calendar_days)
    except ServiceError as exc:
        _fail(exc)
    click.echo(result.due_date.isoformat() + (" provisional" if result.provisional else ""))
    if explain:
        click.echo(result.explain())


def _initialised(db: Database) -> bool:
    """The database exists and has its schema (``huajie init`` ran)."""
    from sqlalchemy import inspect, make_url
    from sqlalchemy.exc import SQLAlchemyError

    if db.is_sqlite:  # connecting would create an empty database file
        path = make_url(db.url).database
        if not path or (path != ":memory:" and not Path(path).exists()):
            return False
    try:
        with db.read_engine.connect() as connection:
            return inspect(connection).has_table("calendar_days")
    except SQLAlchemyError:
        return False


@calendar.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def calendar_import(file: Path) -> None:
    """Import a year's holiday schedule (a declared year replaces what was stored for it) and
    recompute every waiting deadline it may move; each moved one is audited and its unit told."""
    from app.services.actor import SYSTEM
    from app.services.execution import holidays as calendar_service
    from app.services.execution import timer_pass as timer_service

    db = _db(Settings.from_env())
    if not _initialised(db):
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
        _fail(exc)
    instances = timer_service.recompute_after_import(db, years)
    click.echo(
        json.dumps(
            {"days": days, "years": sorted(years), "instances_recomputed": instances},
            ensure_ascii=False,
        )
    )


@main.group()
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
    is recorded, a verified checkpoint signed when intact, and administrators are alerted when
    not."""
    from app.services.records import audit_verify as verification

    settings = Settings.from_env()
    db = _db(settings)
    try:
        report = verification.run(
            db, "cli", full=full, deep=deep, files=settings.data_dir / "attachments"
        )
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


@main.group()
def export() -> None:
    """Exports for courts and inspectors."""


@export.command("instance")
@click.argument("instance_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--as",
    "username",
    default=None,
    help="what this user may read (default: everything, as an auditor)",
)
def export_instance(instance_id: int, out: Path | None, username: str | None) -> None:
    """Write the instance's dossier (history JSON, diagram, documents) as a zip."""
    from sqlalchemy import select

    from app.errors import NotFound
    from app.models import User
    from app.services.actor import Actor
    from app.services.records import downloads

    try:  # audited like a download from the page (actor "cli", or the user named)
        with _db(Settings.from_env()).write() as session:
            reader = Actor("cli", "auditor")
            if username is not None:
                user = session.scalar(select(User).where(User.username == username))
                if user is None:
                    raise NotFound(f"用户不存在：{username}")
                reader = Actor.of(user)
            name, content = downloads.dossier.within(session, reader, instance_id)
    except ServiceError as exc:
        _fail(exc)
    target = out or Path(name)
    target.write_bytes(content)
    click.echo(str(target))


@main.command()
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


@main.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(source: Path) -> None:
    """Check an archive made by `huajie backup` whole, then replace the database, attachments
    and checkpoints with it (stop the app first; the audit key must be in place)."""
    from app.backup import BackupError
    from app.backup import restore as do_restore
    from app.migrate import upgrade
    from app.services.records import audit as audit_service
    from app.services.records import audit_verify

    settings = Settings.from_env()
    try:
        manifest = do_restore(settings, source)
    except BackupError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(2)
    upgrade(settings.database_url)  # a backup of an older schema is brought up to date
    db = _db(settings)
    try:
        with db.write() as session:
            audit_service.record(
                session, "cli", "backup.restore", file=source.name,
                backup_created_at=manifest.get("created_at"), events=manifest.get("events"),
            )  # fmt: skip
        report = audit_verify.run(db, "cli")
    finally:
        db.dispose()
    click.echo(f"已从 {source} 恢复（备份时间 {manifest.get('created_at')}）")
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


SETTINGS = {
    "lost_outcomes": 'outcomes that count as lost, a JSON list, e.g. ["败诉", "部分败诉"]',
    "loss_rate_threshold": "loss rate above which a unit is interviewed, e.g. 0.3",
    "many_lost_threshold": "lost cases in three years that flag a unit's adviser firm, e.g. 3",
    "interview_min_concluded": "concluded cases before a rate alone calls a 约谈, e.g. 3",
    "attachment_quota_mb": "MiB of attachments each unit may keep in all, e.g. 2048",
}


@main.group()
def settings() -> None:
    """Administrator settings."""


@settings.command("show")
def settings_show() -> None:
    from app.services.identity import units
    from app.services.records import attachments
    from app.services.reporting import stats

    defaults = {
        "lost_outcomes": units.DEFAULT_LOST_OUTCOMES,
        "loss_rate_threshold": stats.DEFAULT_THRESHOLD,
        "many_lost_threshold": units.DEFAULT_MANY_LOST,
        "interview_min_concluded": stats.DEFAULT_MIN_CONCLUDED,
        attachments.QUOTA_SETTING: attachments.DEFAULT_QUOTA_MB,
    }
    with _db(Settings.from_env()).read() as session:
        for key, default in defaults.items():
            value = units.setting(session, key, default)
            click.echo(f"{key} = {json.dumps(value, ensure_ascii=False)}\t# {SETTINGS[key]}")


@settings.command("set")
@click.argument("key", type=click.Choice(sorted(SETTINGS)))
@click.argument("value")
def settings_set(key: str, value: str) -> None:
    """Set KEY to VALUE (JSON)."""
    from app.services.actor import SYSTEM
    from app.services.identity import units

    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        click.echo('错误：VALUE 须为 JSON，例如 0.3 或 ["败诉"]', err=True)
        sys.exit(2)
    valid = {
        "lost_outcomes": isinstance(parsed, list) and all(isinstance(v, str) for v in parsed),
        "loss_rate_threshold": isinstance(parsed, int | float) and 0 <= parsed <= 1,
        "many_lost_threshold": isinstance(parsed, int) and parsed >= 1,
        "interview_min_concluded": isinstance(parsed, int) and parsed >= 1,
        "attachment_quota_mb": type(parsed) is int and parsed >= 1,
    }[key]
    if not valid:
        click.echo(f"错误：{key} 的取值不合法（{SETTINGS[key]}）", err=True)
        sys.exit(2)
    with _db(Settings.from_env()).write() as session:
        units.put_setting(session, SYSTEM, key, parsed)
    click.echo(f"{key} = {json.dumps(parsed, ensure_ascii=False)}")


# ``huajie users …`` and ``huajie tokens …`` (accounts), registered on ``main``
from app.cli_accounts import tokens, users  # noqa: E402  (uses _db and _fail above)

main.add_command(users)
main.add_command(tokens)
