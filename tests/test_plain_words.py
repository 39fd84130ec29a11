"""No field key, JSON object or action code on a page a non-administrator sees (issue 19.2).

Every mechanism's sample paths run (court messages, documents, loops, attachments), a deadline
ladder fires, an account locks, a task is reassigned and reminded; then each page a person
opens is read as the browser shows it (text, not markup or attributes)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lxml import html
from sqlalchemy import select

from app.demo import USERS
from app.models import AuditEvent, Case, ProcessInstance, TaskRecord
from app.services.execution import assignment, timer_pass
from app.services.reporting import wording
from tests.conftest import ROOT
from tests.helpers import actor, co_defendant_reviews, open_task, register, step
from tests.reading import run_path
from tests.samples import all_paths
from tests.test_web import _csrf, login

LOGIN_NAMES = {username for username, *_ in USERS} - {"admin"}  # "admin" names no person
READERS = ["center", "bureau", "gtzy", "gtzy_lawyer", "gtzy_reviewer", "scjg_head", "leader"]
DOTTED = re.compile(r"\b[a-z_]+\.[a-z_]+\b")
JSON_OBJECT = re.compile(r"\{\s*\"")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def field_keys() -> set[str]:
    keys: set[str] = set()
    for path in Path(ROOT / "forms").rglob("*.schema.json"):
        keys |= set(json.loads(path.read_text(encoding="utf-8")).get("properties", {}))
    return keys


def visible_text(page: str) -> str:
    tree = html.fromstring(page)
    for hidden in tree.xpath("//script|//style|//template"):
        hidden.drop_tree()
    return tree.text_content()


def problems(text: str, keys: set[str], actions: set[str]) -> list[str]:
    words = set(WORD.findall(text))
    found = [f"字段键 {w}" for w in words if w in keys]
    found += [f"登录名 {w}" for w in words if w in LOGIN_NAMES]
    found += [f"动作代码 {m}" for m in set(DOTTED.findall(text)) if m in actions or "_" in m]
    found += [f"JSON {m.group(0)}" for m in JSON_OBJECT.finditer(text)]
    return found


def _run_everything(db, settings, clock) -> None:
    for process_id, path in all_paths():
        run_path(db, settings, process_id, path)
    mediation = register(db)
    for name in ("register_materials", "agency_reply", "schedule_mediation"):
        step(db, mediation, {"agency_reply": "gtzy"}.get(name, "center"), name)
    waiting = open_task(db, mediation)
    with db.write() as session:
        assignment.remind(session, actor(db, "center"), waiting.id, "请于本周内办结")
    clock.set("2026-10-30T09:00:00+08:00")  # past every open deadline: the ladder fires
    timer_pass.run_pass(db)


def test_no_page_a_non_administrator_sees_shows_keys_json_or_action_codes(app, db, settings, clock):
    _run_everything(db, settings, clock)
    locked = app.test_client()
    for _ in range(6):  # an account locks (user.locked) after too many wrong passwords
        wrong = {"username": "scjg", "password": "wrong-1", "csrf_token": _csrf(locked, "/login")}
        locked.post("/login", data=wrong)
    with db.read() as session:
        task_ids = list(session.scalars(select(TaskRecord.id)))
        instance_ids = list(session.scalars(select(ProcessInstance.id)))
        case_ids = list(session.scalars(select(Case.id)))
        actions = set(session.scalars(select(AuditEvent.action).distinct()))
    assert {"task.complete", "message.receive", "user.locked", "task.remind"} <= actions
    keys = field_keys()
    process_ids = {path.stem for path in (ROOT / "processes").glob("*.bpmn")}
    seen: dict[str, list[str]] = {}
    pages = 0
    for username in [*READERS, "auditor"]:
        client = app.test_client()
        login(client, username)
        urls = ["/", "/notifications", "/instances", "/cases", "/dashboard", "/processes"]
        urls += ["/substitutes", "/outage"]
        urls += [f"/instances/{i}" for i in instance_ids]
        urls += [f"/tasks/{t}" for t in task_ids]
        urls += [f"/cases/{c}" for c in case_ids]
        if username == "auditor":
            urls.append("/audit")
        for url in urls:
            response = client.get(url)
            if response.status_code in (403, 404):
                continue  # not theirs to open
            assert response.status_code == 200, (username, url, response.status_code)
            pages += 1
            text = visible_text(response.get_data(as_text=True))
            found = problems(text, keys, actions)
            if not url.startswith("/processes"):  # the modelers' list names each diagram's id
                found += [f"流程标识 {w}" for w in set(WORD.findall(text)) & process_ids]
            if found:
                seen[f"{username} {url}"] = found
    assert pages > 200
    assert not seen, seen


def test_a_court_message_reads_as_labelled_facts_and_only_an_admin_sees_the_raw_json(
    app, db, settings
):
    review, _ = co_defendant_reviews(db, "（2026）苏0813行初93号")  # started by the judgment
    for username, raw in (("center", False), ("admin", True)):
        client = app.test_client()
        login(client, username)
        page = client.get(f"/instances/{review.instance_id}").get_data(as_text=True)
        messages = html.fromstring(page).get_element_by_id("messages")
        facts = " ".join(messages.xpath(".//dl[contains(@class, 'message-facts')]//text()"))
        assert "被告" in facts and "洪泽区自然资源和规划局、洪泽区市场监督管理局" in facts
        assert "裁判结果 败诉" in " ".join(facts.split())
        assert ('"defendants"' in page) is raw  # the raw payload, behind the admin's toggle
        assert ("原始消息" in page) is raw


def test_a_notification_names_who_chased_which_task_of_which_case(app, db):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    reply = open_task(db, instance_id)
    with db.write() as session:
        assignment.remind(session, actor(db, "center"), reply.id, "请于本周内办结")
    client = app.test_client()
    login(client, "gtzy")
    page = client.get("/notifications").get_data(as_text=True)
    line = " ".join(html.fromstring(page).get_element_by_id("notifications").text_content().split())
    assert f"王敏（洪泽区行政争议调处中心）催办：“{reply.name}”" in line
    assert "法院诉前移送调处 · 案号 （2026）苏0813行诉前12号" in line


def test_every_action_the_code_records_has_a_chinese_name():
    recorded = set()
    for path in (ROOT / "app").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        recorded |= set(
            re.findall(
                r"audit\.record\(\s*[^\"]*?(?:\"[a-z]*\",\s*)?\"([a-z_]+\.[a-z_]+)\"", source
            )
        )
    recorded |= {f"ladder.{step}" for step in ("reminder", "head", "escalation")}  # f-string
    assert {"timer.fired", "user.locked", "task.complete"} <= recorded and len(recorded) > 50
    assert recorded - wording.ACTIONS.keys() == set()
