"""A run's temporary folder: the diagrams, the form, a seeded template database, and a fresh
data folder with a copy of it for each part."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

from sqlalchemy import select

from app.anchor import Anchor
from app.db import Database
from app.demo import UNITS, USERS, demo_password
from app.migrate import upgrade
from app.models import ProcessDefinition, User
from app.services.actor import SYSTEM, Actor
from app.services.design import definitions
from app.services.identity import org
from quickbench.common import FORM, FORM_FILE, LOOP, SEQUENCE, TIMER, USERNAME
from quickbench.diagrams import bpmn_loop, bpmn_sequence, bpmn_timer


class Workspace:
    """A temp folder with the diagrams, the form, and a seeded database copied per figure."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.forms = root / "forms"
        (self.forms / "bench").mkdir(parents=True)
        (self.forms / FORM_FILE).write_text(json.dumps(FORM), encoding="utf-8")
        self.bpmn = {SEQUENCE: bpmn_sequence(), LOOP: bpmn_loop(), TIMER: bpmn_timer()}
        for process_id, xml in self.bpmn.items():
            (root / f"{process_id}.bpmn").write_bytes(xml)
        self.template = root / "template.sqlite3"
        self._build_template()

    def _build_template(self) -> None:
        """Schema (Alembic), the demo units, the center's demo user, the diagrams deployed.

        (One user, not ``seed``'s seventeen: each password hash costs a quarter second.)
        """
        url = f"sqlite:///{self.template}"
        upgrade(url)
        db = Database(url)
        with db.write() as session:
            for code, name, kind in UNITS:
                org.add_unit(session, SYSTEM, code, name, kind)
            _, unit, role, label = next(u for u in USERS if u[0] == USERNAME)
            org.add_user(session, SYSTEM, USERNAME, unit, role, demo_password(USERNAME), label)
            for process_id, xml in self.bpmn.items():
                definitions.deploy(session, SYSTEM, xml, self.forms, f"{process_id}.bpmn")
        db.dispose()

    def database(self, name: str) -> tuple[Path, Database]:
        """A fresh data folder holding a copy of the template database."""
        data_dir = self.root / name
        data_dir.mkdir()
        target = data_dir / "huajie.sqlite3"
        with (
            contextlib.closing(sqlite3.connect(self.template)) as src,
            contextlib.closing(sqlite3.connect(target)) as dst,
        ):
            src.backup(dst)
        # the audit chain signed and checkpointed as in production (the key in the data folder)
        return data_dir, Database(f"sqlite:///{target}", anchor=Anchor.in_folder(data_dir))


def definition_ids(db: Database) -> dict[str, int]:
    with db.read() as session:
        rows = session.execute(select(ProcessDefinition.process_id, ProcessDefinition.id))
        return {process_id: def_id for process_id, def_id in rows}


def actor_for(db: Database, username: str = USERNAME) -> Actor:
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return Actor.of(user)


def create_token(db: Database, username: str = USERNAME) -> str:
    with db.write() as session:
        return org.create_token(session, SYSTEM, username)
