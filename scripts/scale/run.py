"""``scripts/bench --scale [--scale-factor F] [--postgres URL]``: build, serve, measure.

The result (``run``) holds ``volume`` (what was built), ``pages`` ({name: {p50_ms, p95_ms}}) of
SQLite, ``pages_over_300ms``, the same under ``postgresql`` when a URL is given, and the
operations: generation time, a completion at the volume and on an empty database, ``audit
verify`` (incremental and full), backup and restore.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchkit.server import serve
from pagewalk import catalogue, client

from app import clock
from app.anchor import Anchor
from app.db import Database
from app.demo import demo_password
from scale import measure
from scale.generate import generate

WORKERS = 3
SEED = 22
Log = Callable[[str], None]


def _present() -> datetime:
    """This morning, 09:00 in Shanghai: the same volume all day for the same seed."""
    today = datetime.now(clock.SHANGHAI).replace(hour=9, minute=0, second=0, microsecond=0)
    return today.astimezone(UTC)


@contextlib.contextmanager
def served(data_dir: Path, database_url: str | None, log_path: Path) -> Iterator[tuple[int, int]]:
    """``huajie serve --workers 3`` (granian) on a free loopback port, the real clock; yields
    the port and the server's process id."""
    env = _cli_env(data_dir, database_url) | {"PYTHONUNBUFFERED": "1"}
    with serve(data_dir, env, WORKERS, log_path, stop_s=30) as served_at:
        yield served_at


def _cli_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """The production environment: the real clock, the volume's data folder."""
    unset = {"DATABASE_URL", "HUAJIE_NOW", "HUAJIE_ENV"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env["HUAJIE_DATA"] = str(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _database(data_dir: Path, database_url: str | None, present: datetime, log: Log,
              backups: bool) -> dict[str, Any]:  # fmt: skip
    url = database_url or f"sqlite:///{data_dir / 'huajie.sqlite3'}"
    db = Database(url, anchor=Anchor.in_folder(data_dir))
    out: dict[str, Any] = {"running_instances": measure.running_count(db)}
    samples = catalogue.find_samples(db, clock.to_local(present).date())
    out["catch_up"] = measure.catch_up(db)  # what fell due since the present, before serving
    log(f"  timers and reminders due before serving: {out['catch_up']}")
    log_path = data_dir.parent / f"serve-{data_dir.name}.log"
    with served(data_dir, database_url, log_path) as (port, server_pid):
        samples.calendar_token = client.calendar_token(db, "center")
        pages = catalogue.pages(samples, pdf=False)  # PDF is converted on each request
        requester = client.Client(port, db, demo_password)
        users = {user for user, _ in pages.values()}
        out["first_requests_ms"] = client.warm_up(requester, users, log)
        out["pages"] = client.measure(requester, pages, log, server_pid)
    db.anchor.close() if db.anchor else None
    out["pages_over_300ms"] = client.over_limit(out["pages"])
    out["pages_failed"] = client.failed(out["pages"])
    os.environ["HUAJIE_NOW"] = present.isoformat()
    out["completion_ms"] = measure.completion_ms(db, 5, "V")
    db.dispose()
    env = _cli_env(data_dir, database_url)
    log("  audit verify")
    # what came since the last daily verification (the generator's), then the whole chain
    out["audit_verify"] = measure.timed(["audit", "verify"], env, data_dir)
    out["audit_verify_full"] = measure.timed(["audit", "verify", "--full"], env, data_dir)
    if backups:
        archive = data_dir.parent / "backup.tar"
        log("  backup and restore")
        out["backup"] = measure.timed(["backup", str(archive)], env, data_dir)
        out["restore"] = measure.timed(["restore", str(archive)], env, data_dir)
        out["backup_mb"] = round(archive.stat().st_size / 2**20, 1) if archive.exists() else None
        archive.unlink(missing_ok=True)
    return out


def run(factor: float, postgres_url: str | None, keep: bool, plain_log: Log) -> dict[str, Any]:
    def log(message: str) -> None:  # with the machine's load: shared cores show in the figures
        plain_log(f"{message}  [load {measure.load_average()}]")

    root = Path(tempfile.mkdtemp(prefix="huajie-scale-"))
    started = time.perf_counter()
    present = _present()
    log(f"scale ×{factor:g} in {root}, present {present.isoformat()}")
    try:
        built = generate(root, factor, SEED, present, log, postgres_url)
        result: dict[str, Any] = {"mode": "scale", "scale_factor": factor, **built}
        os.environ["HUAJIE_NOW"] = present.isoformat()
        empty = Database(f"sqlite:///{root / 'empty' / 'huajie.sqlite3'}",
                         anchor=Anchor.in_folder(root / "empty"))  # fmt: skip
        result["completion_ms_empty"] = measure.completion_ms(empty, 5, "E")
        empty.dispose()
        log("== SQLite")
        sqlite = _database(root / "sqlite", None, present, log, backups=True)
        result["volume"]["running_instances"] = sqlite.pop("running_instances")
        result["pages"] = sqlite.pop("pages")
        result["pages_over_300ms"] = sqlite.pop("pages_over_300ms")
        result.update(sqlite)
        if postgres_url:
            log("== PostgreSQL")
            result["postgresql"] = _database(root / "postgres", postgres_url, present, log,
                                             backups=False)  # fmt: skip
    finally:
        if keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    result["load_average_at_end"] = [round(n, 1) for n in os.getloadavg()]
    return result
