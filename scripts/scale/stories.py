"""Real histories, run through the service layer: the templates the volume is multiplied from.

Each story is what happens to one matter in the office: a court-referred case mediated and
withdrawn, a pre-filing notice that ends in a lost judgment with its review, performance and
fault determination, a reconsideration that corrects an agency, a legality review, an
enforcement supervision … Every one of the thirteen processes appears. A story registers,
receives court messages and completes every task it opens with the sample form data the tests
use (``tests/samples``), as the person whose task it is, while the product clock moves on;
due timers fire between steps, so some deadlines are missed and chased as they would be.

A *running* story stops with tasks still open: its copies are the office's current work.
The rows a story wrote are the ids after the ones that existed before it (``Story.first``).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app import clock
from app.anchor import Anchor
from app.db import Database
from app.demo import demo_password, seed
from app.migrate import upgrade
from app.models import ProcessInstance, TaskRecord, Timer, User
from app.models.states import InstanceStatus, TaskStatus, TimerStatus
from app.services.actor import SYSTEM, Actor
from app.services.design import definitions
from app.services.execution import completion, instances, timer_pass
from app.services.identity import org
from app.services.records import attachments
from tests.helpers import FORM_DATA as MEDIATION_DATA
from tests.samples import PathData, load

ROOT = Path(__file__).resolve().parents[2]
# the tables whose new rows make up a story (each has an integer ``id``)
STORY_TABLES = (
    "cases", "process_instances", "tasks", "timers", "reminders", "ladder_steps",
    "notifications", "documents", "attachments", "court_messages", "audit_events",
)  # fmt: skip
WORKERS = (
    "center", "gtzy", "gtzy_head", "gtzy_reviewer", "gtzy_lawyer", "scjg", "scjg_head",
    "scjg_reviewer", "scjg_lawyer", "gxjd", "gxjd_head", "chz", "chz_head", "bureau",
    "bureau_head", "leader", "jw",
)  # fmt: skip
AGENCIES = ("GTZY", "SCJG", "GXJD", "CHZ")
# the demo's two smaller agencies have no head; a district's every unit has one
HEADS = (("gxjd_head", "GXJD", "高良涧街道 主任 钱伟"), ("chz_head", "CHZ", "岔河镇 镇长 孔亮"))
PDF = attachments.Upload("材料.pdf", b"%PDF-1.4 huajie scale sample\n")


@dataclass
class Story:
    name: str
    running: bool
    first: dict[str, int]  # table -> the largest id before the story
    last: dict[str, int] = field(default_factory=dict)  # table -> the largest id after it
    case_no: str = ""  # the case number its rows carry, if any


def _max_ids(db: Database) -> dict[str, int]:
    from sqlalchemy import column, table

    with db.read() as session:
        return {
            name: session.scalar(select(func.coalesce(func.max(column("id")), 0)).select_from(
                table(name)
            )) or 0
            for name in STORY_TABLES
        }  # fmt: skip


class Office:
    """The story database and a clock that moves as people work."""

    def __init__(self, folder: Path, seed_value: int, present: datetime) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.url = f"sqlite:///{folder / 'huajie.sqlite3'}"
        upgrade(self.url)
        self.db = Database(self.url, anchor=Anchor.in_folder(folder))
        with self.db.write() as session:
            seed(session)
            definitions.deploy_directory(session, SYSTEM, ROOT / "processes", ROOT / "forms")
            for username, unit, label in HEADS:  # every agency can lose a case and review it
                org.add_user(session, SYSTEM, username, unit, "agency_head",
                             demo_password(username), label)  # fmt: skip
        self.random = random.Random(seed_value)
        self.now = present
        self.present = present  # running stories stop here: the copies' "now"
        self._actors: dict[str, Actor] = {}
        self.stories: list[Story] = []
        self._numbers = 0

    # -- the clock --
    def at(self, moment: datetime) -> None:
        self.now = moment
        os.environ["HUAJIE_NOW"] = moment.isoformat()

    def later(self, hours: float) -> None:
        self.at(self.now + timedelta(hours=hours))

    # -- people --
    def actor(self, username: str) -> Actor:
        if username not in self._actors:
            with self.db.read() as session:
                user = session.scalar(select(User).where(User.username == username))
                assert user is not None, username
                self._actors[username] = Actor.of(user)
        return self._actors[username]

    def worker(self, task: TaskRecord) -> Actor:
        for username in WORKERS:
            candidate = self.actor(username)
            if instances.can_work_on(candidate, task):
                return candidate
        raise RuntimeError(f"nobody can work on {task.bpmn_id}")

    def case_no(self) -> str:
        """A template case number: unique, and a string no other text contains."""
        self._numbers += 1
        return f"（2026）苏0829行初T{self._numbers:04d}号"

    # -- a story --
    def story(self, name: str, running: bool, body: Callable[[Story], None]) -> Story:
        story = Story(name, running, _max_ids(self.db))
        body(story)
        story.last = _max_ids(self.db)
        self.stories.append(story)
        return story

    def open_tasks(self, instance_ids: list[int] | None, case_id: int | None) -> list[TaskRecord]:
        with self.db.read() as session:
            stmt = select(TaskRecord).where(TaskRecord.status == TaskStatus.OPEN)
            if case_id is not None:
                stmt = stmt.where(TaskRecord.case_id == case_id)
            else:
                stmt = stmt.where(TaskRecord.instance_id.in_(instance_ids or []))
            return list(session.scalars(stmt.order_by(TaskRecord.id)))

    def work(
        self,
        forms: Forms,
        *,
        case_id: int | None = None,
        instance_ids: list[int] | None = None,
        steps: int = 80,
        until: datetime | None = None,
    ) -> int:
        """Complete open tasks (oldest first) until the matter's instances have ended, ``steps``
        are done or the clock reaches ``until``; with nothing to do but wait for a timer, the
        clock moves to it."""
        done = 0
        while done < steps:
            self.later(self.random.choice((1.5, 3, 5, 20, 26, 50)))
            if until is not None and self.now >= until:
                break
            timer_pass.run_pass(self.db)
            tasks = self.open_tasks(instance_ids, case_id)
            if not tasks:
                due = self.next_timer(instance_ids, case_id)
                if due is None or (until is not None and due >= until):
                    break
                self.at(max(self.now, clock.to_local(due) + timedelta(minutes=1)))
                continue
            task = tasks[0]
            with self.db.read() as session:
                process_id = session.scalar(
                    select(ProcessInstance.process_id).where(ProcessInstance.id == task.instance_id)
                )
            data, uploads = forms.data(process_id or "", task.bpmn_id)
            with self.db.write() as session:
                completion.complete_task(
                    session, self.worker(task), task.id, data, uploads,
                    self.folder / "attachments",
                )  # fmt: skip
            done += 1
        return done

    def _scope(self, stmt: Any, instance_ids: list[int] | None, case_id: int | None) -> Any:
        if case_id is not None:
            return stmt.where(ProcessInstance.case_id == case_id)
        return stmt.where(ProcessInstance.id.in_(instance_ids or []))

    def next_timer(self, instance_ids: list[int] | None, case_id: int | None) -> datetime | None:
        """The soonest waiting timer of the matter's running instances."""
        stmt = (
            select(func.min(Timer.due_at))
            .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
            .where(
                Timer.status == TimerStatus.WAITING,
                ProcessInstance.status == InstanceStatus.RUNNING,
            )
        )
        with self.db.read() as session:
            return session.scalar(self._scope(stmt, instance_ids, case_id))

    def instance_of(self, case_id: int, process_id: str) -> list[int]:
        with self.db.read() as session:
            return list(session.scalars(
                select(ProcessInstance.id).where(
                    ProcessInstance.case_id == case_id, ProcessInstance.process_id == process_id
                )
            ))  # fmt: skip

    def case_id(self, case_no: str) -> int:
        from app.models import Case

        with self.db.read() as session:
            found = session.scalar(select(Case.id).where(Case.case_no == case_no))
        assert found is not None, case_no
        return found


class Forms:
    """Sample form data by process and task, along the paths a story chose."""

    def __init__(
        self,
        paths: dict[str, str] | None = None,
        mediation: str = "agreement",
        repeat: dict[str, int] | None = None,
    ) -> None:
        self.paths: dict[str, PathData] = {}
        self.chosen = paths or {}
        self.mediation = mediation
        self.repeat = dict(repeat or {})  # task -> times its first sample entry recurs first

    def data(self, process_id: str, bpmn_id: str) -> tuple[dict[str, Any], dict[str, list]]:
        if process_id == "pre_litigation_mediation":
            data = dict(MEDIATION_DATA[bpmn_id])
            if bpmn_id == "record_outcome":
                data["outcome"] = self.mediation
            return data, {}
        sample = load(process_id)
        if self.repeat.get(bpmn_id, 0) > 1:  # e.g. one more round of in-trial work
            self.repeat[bpmn_id] -= 1
            entry = next(p[bpmn_id] for p in sample["paths"].values() if bpmn_id in p)
            return _uploads(dict(entry[0] if isinstance(entry, list) else entry))
        if process_id not in self.paths:
            name = self.chosen.get(process_id) or next(iter(sample["paths"]))
            self.paths[process_id] = PathData(sample["paths"][name])
        try:
            data = self.paths[process_id].next(bpmn_id)
        except (KeyError, IndexError):  # the path lacks this task, or has run out of it
            data = next(PathData(p).next(bpmn_id) for p in sample["paths"].values() if bpmn_id in p)
        return _uploads(data)


def _uploads(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list]]:
    """Sample attachment references become uploads, as the web form sends them."""
    uploads = {}
    for key, value in list(data.items()):
        if (
            isinstance(value, list)
            and value
            and isinstance(value[0], dict)
            and "sha256" in value[0]
        ):
            uploads[key] = [PDF for _ in value]
            del data[key]
    return data, uploads
