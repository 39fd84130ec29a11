"""The template office: every story of the catalogue run through the service layer.

Each kind runs ``FINISHED_VARIANTS`` times to its end (different random choices each time) and,
when it can, once more stopping at the present with work open. Finished stories start about half
a year before the present and end before it; running ones start a few weeks before it. After its
body, every document a finished story produced is read once (``downloads.document``: the
阅档留痕 event the multiplication repeats to give twenty years of reading).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from app.models import Document
from app.services.execution import timer_pass
from app.services.records import downloads
from scale.catalogue import CATALOGUE, Kind
from scale.stories import Office, Story

FINISHED_VARIANTS = 2
READER = "auditor"  # reads a finished story's documents once (may read every record)


@dataclass(frozen=True)
class Template:
    kind: Kind
    story: Story

    @property
    def running(self) -> bool:
        return self.story.running

    def count(self, table: str) -> int:
        return self.story.last[table] - self.story.first[table]


def _read_documents(office: Office, story: Story) -> None:
    with office.db.read() as session:
        ids = list(
            session.scalars(
                select(Document.id)
                .where(Document.id > story.first["documents"])
                .order_by(Document.id)
            )
        )
    for document_id in ids:
        office.later(2)
        downloads.document(office.db, office.actor(READER), document_id)


def _settled(
    office: Office, present: datetime, body: Callable[[Story], None]
) -> Callable[[Story], None]:
    """A running story ends with the timer pass the office would have run at the present: no
    deadline or reminder of its copies is still due when the volume is served."""

    def run(story: Story) -> None:
        body(story)
        if story.running:
            office.at(present)
            timer_pass.run_pass(office.db)

    return run


def build(folder: Path, seed: int, present: datetime) -> tuple[Office, list[Template]]:
    office = Office(folder, seed, present)
    templates = []
    for kind in CATALOGUE:
        variants = [False] * FINISHED_VARIANTS + ([True] if kind.runs else [])
        for running in variants:
            days_before = office.random.randint(20, 45) if running else 200
            office.at(present - timedelta(days=days_before))

            def body(story: Story, kind: Kind = kind) -> None:
                kind.body(office, story)
                if not story.running:
                    _read_documents(office, story)

            story = office.story(kind.name, running, _settled(office, present, body))
            if not running and office.now >= present:
                raise RuntimeError(f"story {kind.name} ran past the present")
            templates.append(Template(kind, story))
    return office, templates
