"""Requesting pages as their users: a logged-in browser session and an API token per user,
and the measurement of a list of pages (p50/p95 of ``REPEATS`` requests after an unmeasured one).

A page slower than ``PAGE_BUDGET_S`` in all stops early (at three requests or more), and one
whose first measured request (after the warm one) takes ``SLOW_S`` or more is measured by that
request alone, so a slow page cannot take a run's time. The warm request's time is kept as
``first_ms``: what the first person to open a page waits (a PDF converted, a cache filled).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from benchkit.stats import percentile

from app.db import Database
from app.services.actor import SYSTEM, Actor
from app.services.identity import org
from app.services.notify import calendar_feed

REPEATS = 30
PAGE_BUDGET_S = 20.0
SLOW_S = 5.0  # a page this slow is measured once (its first request)
TIMEOUT_S = 120.0  # a request still unanswered counts as this long
LIMIT_MS = 300.0  # every page's p95 (issues 19 and 22)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
Log = Callable[[str], None]
Pages = dict[str, tuple[str, str]]  # name -> (username, path); /api/ paths go with a token


class Client:
    """A logged-in browser session and an API token per user."""

    def __init__(self, port: int, db: Database, password: Callable[[str], str]) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.db = db
        self.password = password
        self.sessions: dict[str, requests.Session] = {}
        self.tokens: dict[str, str] = {}

    def session(self, username: str) -> requests.Session:
        if username not in self.sessions:
            web = requests.Session()
            page = web.get(f"{self.base}/login", timeout=60).text
            token = _CSRF.search(page)
            form = {"username": username, "password": self.password(username)}
            if token:
                form["csrf_token"] = token.group(1)
            answer = web.post(f"{self.base}/login", data=form, timeout=60)
            if answer.status_code != 200 or "/login" in answer.url:
                raise RuntimeError(f"login of {username} failed: {answer.status_code}")
            self.sessions[username] = web
        return self.sessions[username]

    def token(self, username: str) -> str:
        if username not in self.tokens:
            with self.db.write() as session:
                self.tokens[username] = org.create_token(session, SYSTEM, username)
        return self.tokens[username]

    def get(self, username: str, path: str) -> tuple[int, float]:
        started = time.perf_counter()
        try:
            if path.startswith("/api/"):
                headers = {"Authorization": f"Bearer {self.token(username)}"}
                answer = requests.get(self.base + path, headers=headers, timeout=TIMEOUT_S)
            elif path.startswith("/calendar/"):  # the feed: its token is the credential
                answer = requests.get(self.base + path, timeout=TIMEOUT_S)
            else:
                answer = self.session(username).get(self.base + path, timeout=TIMEOUT_S)
        except requests.RequestException:
            return 0, TIMEOUT_S * 1000  # status 0: no answer within the timeout
        return answer.status_code, (time.perf_counter() - started) * 1000


def calendar_token(db: Database, username: str) -> str:
    """A calendar subscription of the user (what 日历订阅 issues)."""
    from sqlalchemy import select

    from app.models import User

    with db.read() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        actor = Actor.of(user)
    return calendar_feed.issue(db, actor)


def warm_up(client: Client, users: set[str], log: Log) -> list[float]:
    """Every user logged in, and every server process past its first requests (in the full
    volume a process's first request took half a minute): requests until six in a row are
    quick. Returns the times of the slow ones."""
    for username in sorted(users):  # before any page: a slow one may hold the writer
        client.session(username)
        client.token(username)
    slow: list[float] = []
    quick = 0
    for _ in range(60):
        _, ms = client.get("center", "/notifications")
        quick = quick + 1 if ms < 1000 else 0
        if ms >= 1000:
            slow.append(round(ms))
        if quick >= 6:
            break
    log(f"  warm-up: slow first requests {slow} ms")
    return slow


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the server process ``pid`` and its workers have used so far
    (Linux ``/proc``): what a page costs the server whatever else the machine runs."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        child = int(stat.parent.name)
        parents[child] = int(fields[1])
        used[child] = (int(fields[11]) + int(fields[12])) / tick
    tree = {pid}
    for _ in range(4):  # serve → granian → its workers
        tree |= {child for child, parent in parents.items() if parent in tree}
    return sum(used.get(member, 0.0) for member in tree)


def measure(
    client: Client, pages: Pages, log: Log, server_pid: int | None = None
) -> dict[str, Any]:
    """{name: {p50_ms, p95_ms, requests, status, first_ms}} of every page, one after another;
    with ``server_pid``, also ``cpu_ms``: the server's CPU time a measured request."""
    figures: dict[str, Any] = {}
    for name, (username, path) in pages.items():
        status, first = client.get(username, path)  # warm: compiled statements, caches
        times: list[float] = []
        cpu_before = server_cpu_s(server_pid) if server_pid else 0.0
        started = time.perf_counter()
        while len(times) < REPEATS and not (
            time.perf_counter() - started > PAGE_BUDGET_S and len(times) >= 3
        ):
            status, ms = client.get(username, path)
            times.append(ms)
            if ms > SLOW_S * 1000:  # seconds even when warm: this request is the figure
                break
        figures[name] = {
            "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(percentile(times, 95), 1),
            "requests": len(times),
            "status": status,
            "first_ms": round(first, 1),  # the unmeasured request (cold: e.g. a PDF converted)
        }
        if server_pid:
            cpu_s = server_cpu_s(server_pid) - cpu_before
            figures[name]["cpu_ms"] = round(cpu_s * 1000 / len(times), 1)
        cpu = f", server CPU {figures[name]['cpu_ms']} ms" if server_pid else ""
        log(f"  {name}: p50 {figures[name]['p50_ms']} ms, p95 {figures[name]['p95_ms']} ms "
            f"({len(times)} × {status}{cpu})")  # fmt: skip
    return figures


def over_limit(figures: dict[str, Any]) -> list[str]:
    """The pages whose p95 is over ``LIMIT_MS``."""
    return sorted(name for name, page in figures.items() if page["p95_ms"] > LIMIT_MS)


def failed(figures: dict[str, Any]) -> list[str]:
    """The pages that did not answer 200 (a walk of refusals or errors measures nothing)."""
    return sorted(name for name, page in figures.items() if page["status"] != 200)
