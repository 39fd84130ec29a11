"""日历订阅: a private iCalendar feed of the deadlines a user may work on, which follows
extensions, suspensions and completions and stops when its URL is renewed or revoked."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from app.models import AuditEvent
from app.services.execution import deadlines
from app.services.identity import accounts
from tests.helpers import CASE, FORM_DATA, actor, complete, open_task, register, step
from tests.test_web import _csrf, login

pytestmark = pytest.mark.both_databases


def _open_feed(client: FlaskClient, username: str) -> str:
    """Log in as ``username``, open 日历订阅 and return the feed's path (shown once)."""
    login(client, username)
    page = client.get("/calendar")
    assert "尚未开通" in page.get_data(as_text=True)
    token = _csrf(client, "/calendar")
    shown = client.post("/calendar", data={"action": "issue", "csrf_token": token})
    assert shown.status_code == 200
    url = re.search(r'id="feed-url" type="text" value="([^"]+)"', shown.get_data(as_text=True))
    assert url, "the new feed URL is shown"
    client.post("/logout", data={"csrf_token": _csrf(client, "/calendar")})
    return url.group(1).removeprefix("http://localhost")


def _events(client: FlaskClient, path: str) -> dict[str, date]:
    """The feed's events, summary -> all-day date, fetched without a login."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.content_type.startswith("text/calendar")
    calendar = Calendar.from_ical(response.get_data())
    return {str(e["summary"]): e.decoded("dtstart") for e in calendar.walk("VEVENT")}


def test_the_feed_shows_the_users_deadlines_and_follows_changes(client, db):
    instance_id = register(db)
    task = step(db, instance_id, "center", "register_materials")  # the agency's: due 10-10
    task = open_task(db, instance_id)
    path = _open_feed(client, "gtzy")
    summary = f"截止：{task.name}（{CASE['court_case_no']}）"
    assert _events(client, path) == {summary: date(2026, 10, 10)}
    body = client.get(path).get_data(as_text=True).replace("\r\n ", "")
    assert f"/tasks/{task.id}" in body  # each event links to its task

    deadlines.extend(db, actor(db, "bureau"), task.id, 2, "材料较多")
    assert _events(client, path) == {summary: date(2026, 10, 13)}
    deadlines.suspend(db, actor(db, "center"), task.id, "当事人暂时无法联系")
    assert _events(client, path) == {}  # a suspended deadline has no date
    deadlines.resume(db, actor(db, "center"), task.id, "已联系上当事人")
    assert list(_events(client, path).values()) != []
    complete(db, "gtzy", task.id, FORM_DATA["agency_reply"])
    assert summary not in _events(client, path)  # done: gone at the next refresh


def test_another_units_deadlines_are_not_in_the_feed(client, db):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")  # GTZY's task
    assert _events(client, _open_feed(client, "scjg")) == {}


def test_a_deactivated_users_feed_stops(client, db):
    path = _open_feed(client, "gtzy")
    assert client.get(path).status_code == 200
    with db.write() as session:
        accounts.deactivate(session, actor(db, "admin"), "gtzy", "调离")
    assert client.get(path).status_code == 404


def test_renewing_or_stopping_the_feed_ends_the_old_url(client, db):
    first = _open_feed(client, "gtzy")
    login(client, "gtzy")
    assert "已开通" in client.get("/calendar").get_data(as_text=True)
    token = _csrf(client, "/calendar")
    renewed = client.post("/calendar", data={"action": "issue", "csrf_token": token})
    second = re.search(r'id="feed-url" type="text" value="([^"]+)"', renewed.get_data(as_text=True))
    assert second
    second_path = second.group(1).removeprefix("http://localhost")
    assert client.get(first).status_code == 404
    assert client.get(second_path).status_code == 200
    token = _csrf(client, "/calendar")
    client.post("/calendar", data={"action": "revoke", "csrf_token": token})
    gone = client.get(second_path)
    assert gone.status_code == 404 and "无效或已停用" in gone.get_data(as_text=True)
    assert client.get("/calendar/cal_guessed.ics").status_code == 404
    with db.read() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent))]
    assert actions.count("calendar_feed.issue") == 2 and "calendar_feed.revoke" in actions
