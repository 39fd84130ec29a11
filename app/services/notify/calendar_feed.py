"""日历订阅: each user's private iCalendar feed of the deadlines they may work on.

The feed's URL carries a random token (only its sha256 is stored), so WPS, Outlook or a phone's
calendar can fetch it without logging in; issuing a new URL revokes the old one, and a user
may stop the feed. Each open task with a due date is an all-day event on that date; the feed
is computed at every fetch, so extensions, suspensions and completed tasks show at the next
refresh. The tasks are the user's inbox (their unit's, and those of the people they stand in
for today), so the feed shows nothing its owner could not open.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.errors import Forbidden, NotFound
from app.models import CalendarFeed, Case, ProcessDefinition, ProcessInstance, User
from app.services.actor import Actor
from app.services.execution import assignment
from app.services.identity.permissions import Action, require
from app.services.records import audit
from app.services.reporting import queries
from app.services.uow import unit_of_work

TOKEN_PREFIX = "cal_"
MAX_EVENTS = 500  # an inbox longer than this is a backlog, not a calendar


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active(session: Session, user_id: int) -> CalendarFeed | None:
    """The user's feed in use, if any."""
    return session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None)
        )
    )


def _revoke_all(session: Session, user_id: int) -> int:
    revoked = 0
    now = clock.now()
    for feed in session.scalars(
        select(CalendarFeed).where(
            CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None)
        )
    ):
        feed.revoked_at = now
        revoked += 1
    return revoked


@unit_of_work
def issue(session: Session, actor: Actor) -> str:
    """A new feed token for the actor (shown once); the previous feed stops working."""
    require(actor.role, Action.WORK)
    if actor.user_id is None:
        raise Forbidden("只有用户本人可以开通日历订阅")
    replaced = _revoke_all(session, actor.user_id)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        CalendarFeed(user_id=actor.user_id, token_hash=_hash(token), created_at=clock.now())
    )
    audit.record(session, actor, "calendar_feed.issue", replaced=replaced)
    return token


@unit_of_work
def revoke(session: Session, actor: Actor) -> None:
    """Stop the actor's feed: its URL answers 404 from now on."""
    if actor.user_id is None:
        raise Forbidden("只有用户本人可以停用日历订阅")
    if _revoke_all(session, actor.user_id) == 0:
        raise NotFound("尚未开通日历订阅")
    audit.record(session, actor, "calendar_feed.revoke")


def owner(session: Session, token: str) -> Actor:
    """Whose feed the token opens, as the actor the inbox is computed for; NotFound for an
    unknown or revoked token and for a user no longer active."""
    feed = None
    if token.startswith(TOKEN_PREFIX) and len(token) < 100:
        feed = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))
    user: User | None = feed.user if feed is not None else None
    if feed is None or feed.revoked_at is not None or user is None or not user.active:
        raise NotFound("日历订阅地址无效或已停用")
    return Actor.of(user, assignment.acting_for(session, user))


@dataclass(frozen=True)
class Deadline:
    task_id: int
    task_name: str
    process_name: str
    case_no: str | None
    due_on: date
    provisional: bool


def deadlines(session: Session, actor: Actor) -> list[Deadline]:
    """The open tasks the actor may work on that have a running deadline, soonest first."""
    tasks = queries.inbox(session, actor, limit=MAX_EVENTS)
    instance_ids = {t.instance_id for t in tasks}
    names: dict[int, tuple[str, str | None]] = {}
    if instance_ids:
        rows = session.execute(
            select(ProcessInstance.id, ProcessDefinition.name, Case.case_no)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .outerjoin(Case, Case.id == ProcessInstance.case_id)
            .where(ProcessInstance.id.in_(instance_ids))
        )
        names = {row[0]: (row[1], row[2]) for row in rows}
    found = []
    for task in tasks:
        process_name, case_no = names.get(task.instance_id, ("", None))
        due_on = clock.to_local(task.due_at).date() if task.due_at else None
        if due_on is not None:
            found.append(
                Deadline(task.id, task.name, process_name, case_no, due_on, task.provisional)
            )
    return found


def render(items: list[Deadline], task_url: str, now: datetime | None = None) -> bytes:
    """The feed as iCalendar: one all-day event per deadline. ``task_url`` has ``{id}``."""
    stamp = now or clock.now()
    calendar = Calendar()
    calendar.add("prodid", "-//huajie//化解 期限日历//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "化解 · 办理期限")
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    for item in items:
        event = Event()
        event.add("uid", f"task-{item.task_id}@huajie")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due_on)
        event.add("dtend", item.due_on + timedelta(days=1))
        case = f"（{item.case_no}）" if item.case_no else ""
        event.add("summary", f"截止：{item.task_name}{case}")
        lines = [f"流程：{item.process_name}", f"任务：{item.task_name}"]
        if item.case_no:
            lines.append(f"案号：{item.case_no}")
        if item.provisional:
            lines.append("该年度尚无法定节假日数据，期限为暂定")
        url = task_url.format(id=item.task_id)
        lines.append(f"办理：{url}")
        event.add("description", "\n".join(lines))
        event.add("url", url)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
