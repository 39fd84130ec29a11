"""Build the twenty-year district: templates through the services, then the copies.

``generate(folder, factor, seed)`` runs the stories into ``folder/templates`` and writes the
volume into ``folder/sqlite`` (a data folder ``huajie serve`` can use: database, audit key and
checkpoint log, attachment files) and, given a URL, into that PostgreSQL database (with
``folder/postgres`` as its data folder). The same seed and date build the same rows.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app import clock
from app.anchor import (
    HEAD,
    KEY_FILE_NAME,
    LOG_FILE_NAME,
    SEAL,
    VERIFIED,
    Anchor,
    Checkpoint,
    CheckpointLog,
    create_key,
    read_key,
)
from app.db import Database
from app.migrate import upgrade
from app.models import Base
from app.models.states import VerificationScope
from app.services.actor import SYSTEM
from app.services.records import verifications
from app.services.records.audit import GENESIS
from app.services.records.audit_verify import Verification
from app.services.reporting import repair
from scale import multiply
from scale.catalogue import CATALOGUE
from scale.multiply import READ_ACTION, WRITE_ORDER, Plan, Volume
from scale.sinks import Chain, PostgresSink, SqliteSink, columns
from scale.stories import STORY_TABLES
from scale.templates import Template, build

Log = Callable[[str], None]
MIGRATIONS = Path(__file__).resolve().parents[2] / "app" / "migrations" / "versions"


class Source:
    """The template database, read once."""

    def __init__(self, path: Path, templates: list[Template]) -> None:
        self.conn = sqlite3.connect(path)
        self.templates = templates
        self.base_ids = dict(templates[0].story.first)
        self.rows: dict[tuple[int, str], list[tuple[Any, ...]]] = {}
        for index, template in enumerate(templates):
            for table in STORY_TABLES:
                self.rows[(index, table)] = self._select(
                    table, template.story.first[table], template.story.last[table]
                )
        self.index = {id(t): i for i, t in enumerate(templates)}

    def _select(self, table: str, above: int, upto: int | None = None) -> list[tuple[Any, ...]]:
        sql = f"SELECT {','.join(columns(table))} FROM {table} WHERE id > ?"
        args: tuple[int, ...] = (above,)
        if upto is not None:
            sql += " AND id <= ?"
            args = (above, upto)
        return self.conn.execute(sql + " ORDER BY id", args).fetchall()

    def of(self, template: Template, table: str) -> list[tuple[Any, ...]]:
        return self.rows[(self.index[id(template)], table)]

    def base(self, table: str) -> list[tuple[Any, ...]]:
        """A table's rows from before the first story (all of them for the other tables)."""
        if table in STORY_TABLES:
            return self._select(table, 0, self.base_ids[table])
        return self.conn.execute(f"SELECT {','.join(columns(table))} FROM {table}").fetchall()

    def reads(self, template: Template) -> int:
        action = columns("audit_events").index("action")
        return sum(1 for row in self.of(template, "audit_events") if row[action] == READ_ACTION)


def _copies(source: Source, plan: Plan, table: str) -> Iterator[tuple[Any, ...]]:
    functions = multiply.transforms(table)
    names = columns(table)
    for copy in plan.copies:
        if table == "documents" and not copy.keep_documents:
            continue
        rows = multiply.copy_rows(source.of(copy.template, table), functions, copy)
        if table in ("notifications", "reminders") and copy.weeks:
            rows = _read_next_day(rows, names.index("created_at"), names.index("read_at"))
        yield from rows


def _read_next_day(
    rows: Iterable[tuple[Any, ...]], created: int, read: int
) -> Iterator[tuple[Any, ...]]:
    """What was sent years ago has been read (the stories end before anyone opens the list)."""
    for row in rows:
        if row[read] is None:
            row = (*row[:read], row[created] + timedelta(days=1), *row[read + 1 :])
        yield row


def _events(source: Source, plan: Plan, present: datetime) -> Iterator[tuple[Any, ...]]:
    yield from source.base("audit_events")
    functions = multiply.transforms("audit_events")
    names = columns("audit_events")
    action, at = names.index("action"), names.index("at")
    present = present.astimezone(UTC).replace(tzinfo=None)  # the stored times are naive UTC
    for copy in plan.copies:
        for row in multiply.copy_rows(source.of(copy.template, "audit_events"), functions, copy):
            if row[action] != READ_ACTION:
                yield row
                continue
            if not copy.keep_documents:
                continue
            yield row
            step = min(timedelta(days=30), (present - row[at]) / (copy.read_repeats + 1))
            for repeat in range(1, copy.read_repeats + 1):
                yield (*row[:at], row[at] + step * repeat, *row[at + 1 :])


def _attachment_files(source: Source, plan: Plan, templates_dir: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    names = columns("attachments")
    storage = names.index("storage_name")
    functions = multiply.transforms("attachments")
    for copy in plan.copies:
        for old, new in zip(
            source.of(copy.template, "attachments"),
            multiply.copy_rows(source.of(copy.template, "attachments"), functions, copy),
            strict=True,
        ):
            with contextlib.suppress(FileExistsError):
                (target / new[storage]).hardlink_to(templates_dir / old[storage])
    for row in source.base("attachments"):
        shutil.copy(templates_dir / row[storage], target / row[storage])


def _write(
    sink: Any, source: Source, plan: Plan, key: bytes, present: datetime, log: Log
) -> tuple[dict[str, int], Chain]:
    counts = {}
    for table in WRITE_ORDER:
        started = time.perf_counter()
        counts[table] = len(source.base(table)) + sink.write(table, _copies(source, plan, table))
        log(f"  {table}: {counts[table]:,} rows in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    chain = Chain(key)
    counts["audit_events"] = sink.write("audit_events", chain.link(_events(source, plan, present)))
    log(f"  audit_events: {counts['audit_events']:,} in {time.perf_counter() - started:.1f} s")
    return counts, chain


def _anchor(data_dir: Path, key_file: Path, chain: Chain) -> None:
    """The data folder's key and checkpoint log: sealed at the start, signed at the head."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(key_file, data_dir / KEY_FILE_NAME)
    key = read_key(data_dir / KEY_FILE_NAME)
    assert key is not None
    log_file = CheckpointLog(data_dir / LOG_FILE_NAME)
    log_file.append(Checkpoint(SEAL, 0, GENESIS, clock.now()).signed(key))
    log_file.append(Checkpoint(HEAD, chain.count, chain.last, clock.now()).signed(key))


def _sqlite(source: Source, plan: Plan, folder: Path, templates_db: Path, key: bytes,
            present: datetime, log: Log) -> dict[str, int]:  # fmt: skip
    data_dir = folder / "sqlite"
    data_dir.mkdir(parents=True)
    target = data_dir / "huajie.sqlite3"
    with (
        contextlib.closing(sqlite3.connect(templates_db)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
    sink = SqliteSink(target)
    for table in STORY_TABLES:
        sink.clear(table, 0 if table == "audit_events" else plan.base_ids[table])
    empty = folder / "empty"  # the same office before its history, to compare with
    empty.mkdir()
    with contextlib.closing(sqlite3.connect(empty / "huajie.sqlite3")) as copy:
        sink.conn.backup(copy)
    sink.drop_indexes()
    counts, chain = _write(sink, source, plan, key, present, log)
    started = time.perf_counter()
    sink.finish()
    log(f"  indexes and ANALYZE in {time.perf_counter() - started:.1f} s")
    return counts | {"_chain": chain}  # type: ignore[dict-item]


def _postgres(sqlite_dir: Path, url: str, data_dir: Path, log: Log) -> None:
    """PostgreSQL gets the SQLite volume as written (rows, chain and aggregates), table by table
    with ``COPY``, and the same key and checkpoint log: the chain is computed once."""
    upgrade(url)
    sink = PostgresSink(url)
    sink.clear_all()
    sink.drop_indexes()
    source = sqlite3.connect(sqlite_dir / "huajie.sqlite3")
    reviewers: list[tuple[int, int]] = []
    for table in (t.name for t in Base.metadata.sorted_tables):
        started = time.perf_counter()
        rows: Iterable[tuple[Any, ...]] = source.execute(
            f"SELECT {','.join(columns(table))} FROM {table}"
        )
        if table == "units":  # its reviewer is a user, written after it
            at = columns("units").index("designated_reviewer_id")
            units = list(rows)
            reviewers = [(row[0], row[at]) for row in units if row[at] is not None]
            rows = [(*row[:at], None, *row[at + 1 :]) for row in units]
        written = sink.write(table, rows)
        if written > 100_000:
            log(f"  {table}: {written:,} rows in {time.perf_counter() - started:.1f} s")
    for unit_id, user_id in reviewers:
        sink.execute(
            f"UPDATE units SET designated_reviewer_id = {int(user_id)} WHERE id = {int(unit_id)}"
        )
    source.close()
    started = time.perf_counter()
    sink.finish()
    log(f"  indexes, sequences and ANALYZE in {time.perf_counter() - started:.1f} s")
    data_dir.mkdir(parents=True, exist_ok=True)
    for name in (KEY_FILE_NAME, LOG_FILE_NAME):
        shutil.copy(sqlite_dir / name, data_dir / name)


def _after_load(data_dir: Path, chain: Chain, present: datetime, log: Log) -> float:
    """What an installation twenty years old has beside its facts, written by the product: the
    last daily verification of the chain (a signed verified checkpoint at the head the
    generator computed, and its record), from which ``huajie audit verify`` goes on; and the
    statistics' aggregates rebuilt from the facts (``huajie stats rebuild``), as after any bulk
    load: the copies bypassed the services that keep them."""
    db = Database(f"sqlite:///{data_dir / 'huajie.sqlite3'}", anchor=Anchor.in_folder(data_dir))
    assert db.anchor is not None
    fixed = os.environ.get("HUAJIE_NOW")  # the daily job's hour, 02:30 of the present's day
    os.environ["HUAJIE_NOW"] = clock.to_local(present).replace(hour=2, minute=30).isoformat()
    try:
        checkpoint = db.anchor.sign(VERIFIED, chain.count, chain.last)
        report = Verification(ok=True, full=True, events=chain.count, checked=chain.count,
                              first_checked=1, last_hash=chain.last)  # fmt: skip
        verification_id = verifications.begin(db, SYSTEM, VerificationScope.FULL, daily=True)
        assert verification_id is not None
        verifications.finish(db, SYSTEM, verification_id, report, checkpoint)
    finally:
        if fixed is None:
            os.environ.pop("HUAJIE_NOW", None)
        else:
            os.environ["HUAJIE_NOW"] = fixed
    started = time.perf_counter()
    repair.rebuild(db, SYSTEM)
    elapsed = round(time.perf_counter() - started, 1)
    db.anchor.close()
    db.dispose()
    log(f"  statistics' aggregates rebuilt in {elapsed} s")
    return elapsed


def _templates(folder: Path, seed: int, present: datetime) -> list[Template]:
    """The template stories; ``HUAJIE_SCALE_TEMPLATES=DIR`` keeps them there for the next run
    with the same seed, present and schema (while working on the generator)."""
    cache = os.environ.get("HUAJIE_SCALE_TEMPLATES")
    schema = max(p.stem for p in MIGRATIONS.glob("[0-9]*.py"))  # a new table: new stories
    kept = Path(cache) / f"{seed}-{present:%Y%m%d%H}-{schema}" if cache else None
    if kept is not None and (kept / "stories.pickle").exists():
        shutil.copytree(kept, folder)
        kinds = {kind.name: kind for kind in CATALOGUE}
        stories = pickle.loads((folder / "stories.pickle").read_bytes())
        return [Template(kinds[story.name], story) for story in stories]
    office, templates = build(folder, seed, present)
    office.db.dispose()
    if kept is not None:
        (folder / "stories.pickle").write_bytes(pickle.dumps([t.story for t in templates]))
        shutil.copytree(folder, kept)
    return templates


def generate(folder: Path, factor: float, seed: int, present: datetime, log: Log,
             postgres_url: str | None = None) -> dict[str, Any]:  # fmt: skip
    """The volume in ``folder/sqlite`` (and PostgreSQL); returns the counts and timings."""
    started = time.perf_counter()
    templates = _templates(folder / "templates", seed, present)
    figures: dict[str, Any] = {"templates": len(templates),
                               "templates_s": round(time.perf_counter() - started, 1)}  # fmt: skip
    log(f"{len(templates)} template stories in {figures['templates_s']} s")
    source = Source(folder / "templates" / "huajie.sqlite3", templates)
    plan = multiply.plan(templates, source.base_ids, Volume.district(factor), present, seed,
                         source.reads)  # fmt: skip
    key = create_key(folder / "audit.key")
    log(f"{len(plan.copies):,} copies; writing SQLite")
    started = time.perf_counter()
    counts = _sqlite(source, plan, folder, folder / "templates" / "huajie.sqlite3", key,
                     present, log)  # fmt: skip
    chain: Chain = counts.pop("_chain")  # type: ignore[assignment]
    _anchor(folder / "sqlite", folder / "audit.key", chain)
    figures["sqlite_stats_rebuild_s"] = _after_load(folder / "sqlite", chain, present, log)
    _attachment_files(source, plan, folder / "templates" / "attachments",
                      folder / "sqlite" / "attachments")  # fmt: skip
    figures["sqlite_generate_s"] = round(time.perf_counter() - started, 1)
    figures["volume"] = _volume(counts, plan)
    if postgres_url:
        log("writing PostgreSQL")
        started = time.perf_counter()
        _postgres(folder / "sqlite", postgres_url, folder / "postgres", log)
        shutil.copytree(folder / "sqlite" / "attachments", folder / "postgres" / "attachments",
                        copy_function=os.link)  # fmt: skip
        figures["postgres_generate_s"] = round(time.perf_counter() - started, 1)
    return figures


def _volume(counts: dict[str, int], plan: Plan) -> dict[str, int]:
    running = sum(c.template.count("process_instances") for c in plan.copies if c.template.running)
    return {
        "instances": counts["process_instances"],
        "running_instances": running,
        "tasks": counts["tasks"],
        "audit_events": counts["audit_events"],
        "cases": counts["cases"],
        "documents": counts["documents"],
        "attachments": counts["attachments"],
        "timers": counts["timers"],
        "copies": len(plan.copies),
    }
