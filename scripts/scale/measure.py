"""Measuring the volume: every page and API list through the production server, and the
operations (a completion, ``audit verify``, backup and restore) around it.

Each page is requested ``REPEATS`` times in turn by one client (after one unmeasured request);
a page slower than ``PAGE_BUDGET_S`` in all stops early (at three requests or more), and one
that takes ``SLOW_S`` or more is measured by its first request alone, so a slow page cannot
take the run's twenty minutes.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from app.db import Database
from app.models import Case, Document, ProcessInstance, TaskRecord, Unit, User
from app.models.states import InstanceStatus, TaskStatus
from app.services.actor import SYSTEM, Actor
from app.services.court import cases
from app.services.execution import completion, timer_pass
from app.services.identity import org
from tests.helpers import FORM_DATA as MEDIATION_DATA

REPEATS = 30
PAGE_BUDGET_S = 20.0
SLOW_S = 5.0  # a page this slow is measured once (its first request)
TIMEOUT_S = 120.0  # a request still unanswered counts as this long
LIMIT_MS = 300.0
ROOT = Path(__file__).resolve().parents[2]
HUAJIE = ROOT / ".venv" / "bin" / "huajie"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@dataclass
class Samples:
    """Ids and values the pages are asked about, read from the volume."""

    case_no: str
    case_id: int
    instance_id: int
    open_task_id: int
    document_id: int
    unit_code: str
    today: date


def samples(db: Database, today: date) -> Samples:
    with db.read() as session:
        middle = session.scalar(select(func.max(Case.id))) // 2
        case = session.scalars(select(Case).where(Case.id >= middle).limit(1)).one()
        instance_id = session.scalar(
            select(ProcessInstance.id).where(ProcessInstance.case_id == case.id).limit(1)
        )
        center = session.scalar(select(Unit.id).where(Unit.code == "TCZX"))
        task_id = session.scalar(
            select(TaskRecord.id)
            .where(TaskRecord.status == TaskStatus.OPEN, TaskRecord.unit_id == center)
            .order_by(TaskRecord.id.desc())
            .limit(1)
        )
        document_id = session.scalar(select(func.max(Document.id)))
    return Samples(case.case_no, case.id, instance_id or 0, task_id or 0, document_id or 0,
                   "GTZY", today)  # fmt: skip


def pages(s: Samples) -> dict[str, tuple[str, str]]:
    """name -> (username, path); ``api`` paths go with the user's token."""
    quarter = (s.today - timedelta(days=91)).isoformat()
    year = (s.today - timedelta(days=365)).isoformat()
    twenty = (s.today - timedelta(days=365 * 20 + 5)).isoformat()
    end = s.today.isoformat()
    return {
        "待办 (调处中心)": ("center", "/"),
        "待办 (自然资源局)": ("gtzy", "/"),
        "流程实例": ("leader", "/instances"),
        "流程实例 按案号": ("leader", f"/instances?case_no={s.case_no}"),
        "流程实例 进行中": ("leader", "/instances?status=running"),
        "流程实例 已超期": ("leader", "/instances?overdue=1"),
        "流程实例 按单位": ("leader", f"/instances?unit={s.unit_code}"),
        "流程实例 按流程": ("leader", "/instances?process_id=pre_litigation_mediation"),
        "流程实例 (自然资源局)": ("gtzy", "/instances"),
        "案件": ("leader", "/cases"),
        "案件 按案号": ("leader", f"/cases?q={s.case_no}"),
        "案件 按当事人": ("leader", "/cases?q=张某某"),
        "案卷": ("leader", f"/cases/{s.case_id}"),
        "流程实例详情": ("leader", f"/instances/{s.instance_id}"),
        "任务": ("center", f"/tasks/{s.open_task_id}"),
        "通知": ("center", "/notifications"),
        "发起流程": ("gtzy", "/processes"),
        "代理人": ("center", "/substitutes"),
        "文书下载": ("leader", f"/documents/{s.document_id}"),
        "统计分析 一季度": ("leader", f"/dashboard?from={quarter}&to={end}"),
        "统计分析 一年": ("leader", f"/dashboard?from={year}&to={end}"),
        "统计分析 二十年": ("leader", f"/dashboard?from={twenty}&to={end}"),
        "统计分析 一单位 一年": ("gtzy", f"/dashboard?from={year}&to={end}"),
        "统计分析 一单位 二十年": ("gtzy", f"/dashboard?from={twenty}&to={end}"),
        "导出 Excel 二十年": ("leader", f"/dashboard.xlsx?from={twenty}&to={end}"),
        "审计日志": ("auditor", "/audit"),
        "api 待办": ("center", "/api/v1/tasks"),
        "api 案件 按案号": ("leader", f"/api/v1/cases?q={s.case_no}"),
        "api 案件": ("leader", f"/api/v1/cases/{s.case_id}"),
        "api 流程实例": ("leader", f"/api/v1/instances/{s.instance_id}"),
        "api 任务": ("center", f"/api/v1/tasks/{s.open_task_id}"),
        "api 流程": ("gtzy", "/api/v1/processes"),
        "api 败诉率 二十年": ("leader", f"/api/v1/stats/loss-rate?from={twenty}&to={end}"),
        "api 败诉率 一年": ("leader", f"/api/v1/stats/loss-rate?from={year}&to={end}"),
    }


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
            else:
                answer = self.session(username).get(self.base + path, timeout=TIMEOUT_S)
        except requests.RequestException:
            return 0, TIMEOUT_S * 1000  # status 0: no answer within the timeout
        return answer.status_code, (time.perf_counter() - started) * 1000


def warm_up(client: Client, users: set[str], log: Callable[[str], None]) -> list[float]:
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


def measure_pages(client: Client, s: Samples, log: Callable[[str], None]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for name, (username, path) in pages(s).items():
        status, first = client.get(username, path)  # warm: compiled statements, caches
        times: list[float] = []
        if first > SLOW_S * 1000:  # seconds a request: the warm one is the figure
            times.append(first)
        started = time.perf_counter()
        while len(times) < REPEATS and not (
            time.perf_counter() - started > PAGE_BUDGET_S and len(times) >= 3
        ):
            if first > SLOW_S * 1000:
                break
            status, ms = client.get(username, path)
            times.append(ms)
        figures[name] = {
            "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(percentile(times, 95), 1),
            "requests": len(times),
            "status": status,
        }
        log(f"  {name}: p50 {figures[name]['p50_ms']} ms, p95 {figures[name]['p95_ms']} ms "
            f"({len(times)} × {status})")  # fmt: skip
    return figures


def completion_ms(db: Database, count: int, tag: str) -> dict[str, float]:
    """Registering a case and completing its mediation's first steps through the services:
    each completion's time (the write path a page's POST takes)."""
    with db.read() as session:
        center = Actor.of(session.scalars(select(User).where(User.username == "center")).one())
    times = []
    for n in range(count):
        registered = cases.register(db, center, {
            "court_case_no": f"（2026）苏0829行初{tag}{n:03d}号", "plaintiff": "张某某",
            "agency_unit": "GTZY", "subject": "行政处罚", "claims": "撤销",
            "court": "洪泽区人民法院",
        })  # fmt: skip
        for _ in range(2):
            with db.read() as session:
                task = session.scalars(
                    select(TaskRecord).where(
                        TaskRecord.case_id == registered.case.id,
                        TaskRecord.status == TaskStatus.OPEN,
                    )
                ).first()
            if task is None or task.bpmn_id not in MEDIATION_DATA or task.unit_id != center.unit_id:
                break
            started = time.perf_counter()
            with db.write() as session:
                data = dict(MEDIATION_DATA[task.bpmn_id])
                completion.complete_task(session, center, task.id, data, {}, Path(os.devnull))
            times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1),
            "count": len(times)}  # fmt: skip


def timed(command: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run([str(HUAJIE), *command], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=1800)  # fmt: skip
    return {
        "s": round(time.perf_counter() - started, 2),
        "ok": done.returncode == 0,
        "said": (done.stdout.strip() or done.stderr.strip()).splitlines()[-1:],
    }


def catch_up(db: Database) -> dict[str, Any]:
    """Timer passes on the real clock until nothing is due (the server's first pass would do
    it while the pages are measured)."""
    fixed = os.environ.pop("HUAJIE_NOW", None)
    started = time.perf_counter()
    fired = reminders = 0
    try:
        for _ in range(1000):
            report = timer_pass.run_pass(db)
            fired, reminders = fired + report.fired, reminders + report.reminders
            if not report.fired and not report.reminders:
                break
    finally:
        if fixed is not None:
            os.environ["HUAJIE_NOW"] = fixed
    return {"s": round(time.perf_counter() - started, 1), "timers": fired, "reminders": reminders}


def running_count(db: Database) -> int:
    with db.read() as session:
        return (
            session.scalar(
                select(func.count(ProcessInstance.id)).where(
                    ProcessInstance.status == InstanceStatus.RUNNING
                )
            )
            or 0
        )
