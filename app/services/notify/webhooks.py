"""Notifications to the office's chat: each unit may have a group robot (群机器人) that receives
its 提醒, 催办 and 督办 and a daily digest, in the JSON 企业微信 and 钉钉 robots take
(``{"msgtype": "text", "text": {"content": …}}``). Off until an administrator sets a unit's robot.

A message is queued in the transaction that makes the notification and delivered by the
scheduler outside any transaction (a slow robot holds no lock): claimed with a lease, posted,
and its attempt recorded. A failed attempt is retried after 1, 5, 15 and 60 minutes, then
given up; every attempt is kept with the message. 钉钉's 加签 (a secret) is applied when set.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import time
import urllib.parse
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.db import Database
from app.errors import InvalidInput
from app.models import UnitWebhook, WebhookDelivery
from app.services.actor import SYSTEM, Actor
from app.services.identity import org
from app.services.identity.permissions import Action, require
from app.services.records import audit
from app.services.uow import unit_of_work

KINDS = {"wecom": "企业微信群机器人", "dingtalk": "钉钉群机器人"}
RETRY_AFTER = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15),
               timedelta(minutes=60))  # fmt: skip
LEASE = timedelta(minutes=2)  # a claimed message another process leaves alone meanwhile
TIMEOUT_S = 10
BATCH = 50

# (url, JSON body) -> (HTTP status, the robot's answer as JSON or None); raises OSError
Poster = Callable[[str, dict[str, Any]], tuple[int, Any]]


def requests_poster(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    import requests

    try:
        response = requests.post(url, json=body, timeout=TIMEOUT_S)
    except requests.RequestException as exc:
        raise OSError(str(exc)) from exc
    try:
        answer = response.json()
    except ValueError:
        answer = None
    return response.status_code, answer


def _url_problem(url: str) -> str | None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname:
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = parts.hostname == "localhost"
        if loopback:
            return None  # a relay on this machine
    return "须为 https 地址（本机转发可用 http://127.0.0.1）"


@unit_of_work
def configure(
    session: Session, actor: Actor, unit_code: str, kind: str, url: str, secret: str = ""
) -> UnitWebhook | None:
    """Set (or replace) a unit's robot; ``kind`` 'off' removes it (and answers None)."""
    require(actor.role, Action.ADMINISTER)
    unit = org.unit_by_code(session, unit_code)
    row = session.scalar(select(UnitWebhook).where(UnitWebhook.unit_id == unit.id))
    if kind == "off":
        if row is not None:
            session.delete(row)
        audit.record(session, actor, "webhook.remove", unit=unit.code)
        return None
    errors: dict[str, list[str]] = {}
    if kind not in KINDS:
        errors["kind"] = [f"可选：{'、'.join(f'{k}（{v}）' for k, v in KINDS.items())}"]
    url = url.strip()
    problem = _url_problem(url) if len(url) <= 500 else "不超过 500 个字符"
    if problem:
        errors["url"] = [problem]
    if len(secret) > 200:
        errors["secret"] = ["不超过 200 个字符"]
    if errors:
        raise InvalidInput("群机器人设置有误", errors)
    if row is None:
        row = UnitWebhook(unit_id=unit.id)
        session.add(row)
    row.kind, row.url, row.secret, row.enabled = kind, url, secret.strip(), True
    row.updated_at = clock.now()
    audit.record(session, actor, "webhook.set", unit=unit.code, kind=kind, signed=bool(secret))
    return row


def robots(session: Session) -> dict[int, UnitWebhook]:
    """Each unit's robot, by unit id."""
    return {r.unit_id: r for r in session.scalars(select(UnitWebhook))}


def last_deliveries(session: Session) -> dict[int, WebhookDelivery]:
    """The newest message of each unit that has had one, by unit id."""
    newest = select(func.max(WebhookDelivery.id)).group_by(WebhookDelivery.unit_id)
    rows = session.scalars(select(WebhookDelivery).where(WebhookDelivery.id.in_(newest)))
    return {r.unit_id: r for r in rows}


def queue(session: Session, unit_ids: Iterable[int | None], kind: str, text: str) -> int:
    """A message for each of these units that has a robot; in the caller's transaction."""
    ids = {u for u in unit_ids if u is not None}
    if not ids:
        return 0
    now = clock.now()
    with_robot = session.scalars(
        select(UnitWebhook.unit_id).where(UnitWebhook.unit_id.in_(ids), UnitWebhook.enabled)
    ).all()
    session.add_all(
        WebhookDelivery(
            unit_id=unit_id,
            kind=kind,
            text=text,
            created_at=now,
            next_attempt_at=now,
            attempts=[],
        )  # fmt: skip
        for unit_id in with_robot
    )
    return len(with_robot)


def _body(text: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": f"【化解】{text}"}}


def signed_url(url: str, secret: str, now_ms: int | None = None) -> str:
    """钉钉 加签: ``timestamp`` and ``sign`` = base64(HMAC-SHA256(secret, "timestamp\\nsecret"))."""
    stamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    joiner = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{joiner}timestamp={stamp}&sign={sign}"


def deliver_due(db: Database, post: Poster = requests_poster) -> int:
    """Post every message due now, each claimed first; returns how many were delivered."""
    delivered = 0
    for delivery_id, url, text in _claim(db, SYSTEM):
        status, error = None, ""
        try:
            status, answer = post(url, _body(text))
            if status != 200 or (isinstance(answer, dict) and answer.get("errcode", 0) != 0):
                error = f"HTTP {status}：{answer}"[:500]
        except OSError as exc:
            error = str(exc)[:500] or type(exc).__name__
        delivered += _record(db, SYSTEM, delivery_id, status, error)
    return delivered


@unit_of_work
def _claim(session: Session, actor: Actor) -> list[tuple[int, str, str]]:
    now = clock.now()
    rows = session.execute(
        select(WebhookDelivery, UnitWebhook)
        .join(UnitWebhook, UnitWebhook.unit_id == WebhookDelivery.unit_id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(BATCH)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    ).all()
    claimed = []
    for delivery, robot in rows:
        delivery.next_attempt_at = now + LEASE
        url = signed_url(robot.url, robot.secret) if robot.secret else robot.url
        claimed.append((delivery.id, url, delivery.text))
    return claimed


@unit_of_work
def _record(
    session: Session, actor: Actor, delivery_id: int, status: int | None, error: str
) -> int:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return 0
    now = clock.now()
    delivery.attempts = [
        *delivery.attempts,
        {"at": now.isoformat(), "status": status, "error": error},
    ]
    delivery.tries += 1
    if not error:
        delivery.status, delivery.sent_at, delivery.next_attempt_at = "sent", now, None
        return 1
    if delivery.tries > len(RETRY_AFTER):
        delivery.status, delivery.next_attempt_at = "failed", None
    else:
        delivery.next_attempt_at = now + RETRY_AFTER[delivery.tries - 1]
    return 0
