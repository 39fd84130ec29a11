"""Notifications to the office's chat: a unit's group robot receives its 提醒/催办/督办 and the
daily digest over HTTP (a real receiver on loopback), retried with back-off, signed for 钉钉,
every attempt recorded."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from app.errors import InvalidInput
from app.models import UnitWebhook, WebhookDelivery
from app.services.notify import ladder, mail, webhooks
from tests.helpers import actor, register, step
from tests.test_web import _csrf, login

pytestmark = pytest.mark.both_databases

REMINDER_TIME = "2026-10-09T09:00:01+08:00"  # the working day before GTZY's task falls due


class Receiver:
    """A robot on loopback: answers each POST with the next scripted (status, body)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, list[str]], dict]] = []
        self.answers: list[tuple[int, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                receiver.received.append((query, body))
                status, answer = receiver.answers.pop(0) if receiver.answers else (200, {})
                payload = json.dumps({"errcode": 0, "errmsg": "ok", **answer}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/robot/send?access_token=t"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def robot() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


def _reminder_due(db, clock) -> None:
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")  # GTZY's task, due 2026-10-10
    clock.set(REMINDER_TIME)
    with db.write() as session:
        assert ladder.fire_due(session) >= 1


def _deliveries(db) -> list[WebhookDelivery]:
    with db.read() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_reminder_reaches_the_units_robot_and_a_failure_is_retried(db, clock, robot):
    webhooks.configure(db, actor(db, "admin"), "GTZY", "wecom", robot.url)
    _reminder_due(db, clock)
    (queued,) = _deliveries(db)  # SCJG has no robot: nothing for it
    robot.answers = [(500, {}), (200, {"errcode": 310000, "errmsg": "keywords not in content"})]
    assert webhooks.deliver_due(db) == 0
    assert webhooks.deliver_due(db) == 0  # not due again yet: retried after a minute
    clock.set("2026-10-09T09:01:05+08:00")
    assert webhooks.deliver_due(db) == 0  # the robot refused it (errcode): a failure too
    clock.set("2026-10-09T09:07:00+08:00")
    assert webhooks.deliver_due(db) == 1
    (delivered,) = _deliveries(db)
    assert delivered.id == queued.id and delivered.status == "sent"
    assert [a["status"] for a in delivered.attempts] == [500, 200, 200]
    assert "errcode" in delivered.attempts[1]["error"] and delivered.attempts[2]["error"] == ""
    texts = [body["text"]["content"] for _, body in robot.received]
    assert len(texts) == 3 and texts[0].startswith("【化解】提醒：“")
    assert "2026-10-10 到期" in texts[0]
    assert {body["msgtype"] for _, body in robot.received} == {"text"}


def test_a_dingtalk_robot_gets_signed_requests_and_gives_up_after_five_tries(db, clock, robot):
    webhooks.configure(db, actor(db, "admin"), "GTZY", "dingtalk", robot.url, "SECxyz")
    _reminder_due(db, clock)
    robot.answers = [(502, {})] * 5
    webhooks.deliver_due(db)
    for retry in ("09:01:30", "09:07:00", "09:22:30", "10:23:00"):  # after 1, 5, 15, 60 minutes
        clock.set(f"2026-10-09T{retry}+08:00")
        webhooks.deliver_due(db)
    (given_up,) = _deliveries(db)
    assert given_up.status == "failed" and len(given_up.attempts) == 5
    query, _ = robot.received[0]
    stamp, sign = query["timestamp"][0], query["sign"][0]
    expected = hmac.new(b"SECxyz", f"{stamp}\nSECxyz".encode(), hashlib.sha256).digest()
    assert sign == base64.b64encode(expected).decode()  # 钉钉 加签
    assert query["access_token"] == ["t"]


def test_the_daily_digest_goes_to_the_robot_once_per_unit(db, clock, robot):
    webhooks.configure(db, actor(db, "admin"), "GTZY", "wecom", robot.url)
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    clock.set("2026-10-09T08:30:00+08:00")
    with db.write() as session:
        assert mail.daily_digest(session) >= 2  # GTZY's staff and head
    (digest,) = _deliveries(db)
    assert digest.kind == "digest" and digest.text.startswith("本单位 3 个工作日内到期的任务 1 项")


def test_a_robot_is_set_by_an_administrator_with_every_problem_named(db):
    with pytest.raises(InvalidInput) as refused:
        webhooks.configure(db, actor(db, "admin"), "GTZY", "telegram", "http://example.com/x")
    assert set(refused.value.errors) == {"kind", "url"}  # both at once
    with pytest.raises(Exception, match="管理员"):
        webhooks.configure(db, actor(db, "center"), "GTZY", "wecom", "https://qyapi.example/x")
    with db.read() as session:
        assert session.scalars(select(UnitWebhook)).all() == []


def test_an_administrator_sets_a_units_robot_on_the_units_page(client, db):
    login(client, "admin")
    form = {"do": "webhook", "unit": "GTZY", "kind": "wecom", "url": "ftp://robot.example/x"}
    refused = client.post(
        "/admin/units", data={**form, "csrf_token": _csrf(client, "/admin/units")}
    )
    assert refused.status_code == 400 and "须为 https 地址" in refused.get_data(as_text=True)
    url = "https://qyapi.weixin.example/cgi-bin/webhook/send?key=k"
    saved = client.post(
        "/admin/units",
        data={**form, "url": url, "csrf_token": _csrf(client, "/admin/units")},
    )
    assert saved.status_code == 302
    assert url.replace("&", "&amp;") in client.get("/admin/units").get_data(as_text=True)
    with db.read() as session:
        (robot,) = session.scalars(select(UnitWebhook)).all()
    assert robot.kind == "wecom" and robot.unit.code == "GTZY"
