"""新建流程 in the modeler: a blank executable template or a copy of a deployed process under a
new id, stored only once deployed; a bad id, name or template is refused naming each."""

from __future__ import annotations

import json
import re

import pytest

from app.engine import parse_bpmn
from app.services.design import definitions
from app.services.execution import processes
from tests.helpers import actor, open_task
from tests.test_web import login

pytestmark = pytest.mark.both_databases


def _context(page: str) -> dict:
    found = re.search(
        r'<script type="application/json" id="modeler-context">(.*?)</script>', page, re.S
    )
    assert found, page[:500]
    return json.loads(found.group(1))


def test_a_blank_new_process_is_executable_and_stored_only_when_deployed(client, db):
    login(client, "owner")
    response = client.get("/processes/new/modeler?process_id=town_hearing&name=听证会&template=")
    assert response.status_code == 200
    context = _context(response.get_data(as_text=True))
    assert context["new"] is True and context["version"] == 0
    parsed = parse_bpmn(context["xml"].encode(), "town_hearing.bpmn")  # the engine reads it
    assert [t.bpmn_id for t in parsed.user_tasks] == ["first_task"]
    with db.read() as session:
        assert definitions.latest_definition(session, "town_hearing", required=False) is None


def _token(page: str) -> dict[str, str]:
    return {"X-CSRFToken": re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)}


def test_a_blank_new_process_deploys_with_its_default_form_and_runs(app, client, db):
    """The blank diagram's task asks for 办理意见 in a form the page made: 校验 passes, 部署
    stores the form with the version, and the task shows it."""
    login(client, "owner")
    page = client.get(
        "/processes/new/modeler?process_id=town_hearing&name=听证会&template="
    ).get_data(as_text=True)
    context, headers = _context(page), _token(page)
    made = context["made_forms"]
    assert set(made) == {"town_hearing/first_task.schema.json",
                         "town_hearing/first_task.uischema.json"}  # fmt: skip
    body = {"xml": context["xml"], "new": True}
    alone = client.post("/processes/town_hearing/validate", json=body, headers=headers)
    assert any("表单文件不存在" in p["message"] for p in alone.get_json()["problems"])
    checked = client.post(
        "/processes/town_hearing/validate", json={**body, "forms": made}, headers=headers
    )
    assert checked.get_json()["problems"] == []
    deployed = client.post(
        "/processes/town_hearing/deploy",
        json={"xml": context["xml"], "comment": "新流程", "forms": made}, headers=headers,
    )  # fmt: skip
    assert deployed.status_code == 200, deployed.get_json()
    started = processes.start(db, actor(db, "center"), "town_hearing", {})
    task = open_task(db, started.id)
    center = app.test_client()
    login(center, "center")
    text = center.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "办理意见" in text and 'name="opinion"' in text and "<textarea" in text
    again = _context(client.get("/processes/town_hearing/modeler").get_data(as_text=True))
    listed = {f["path"]: f["title"] for f in again["forms"]["schemas"]}
    assert listed == {"town_hearing/first_task.schema.json": "第一步"}  # the stored form


def test_forms_a_page_sends_outside_its_process_or_not_objects_are_refused(client, db):
    login(client, "owner")
    page = client.get("/processes/new/modeler?process_id=town_hearing&name=听证会&template=")
    text = page.get_data(as_text=True)
    context, headers = _context(text), _token(text)
    forms = {
        "legality_review/x.schema.json": {"type": "object"},
        "town_hearing/../../etc.schema.json": {"type": "object"},
        "town_hearing/first_task.schema.json": "不是对象",
    }
    refused = client.post(
        "/processes/town_hearing/deploy",
        json={"xml": context["xml"], "comment": "新流程", "forms": forms}, headers=headers,
    )  # fmt: skip
    assert refused.status_code == 400 and set(refused.get_json()["errors"]) == set(forms)
    with db.read() as session:
        assert definitions.latest_definition(session, "town_hearing", required=False) is None


def test_a_copy_is_deployed_under_its_new_id_and_name(client, db):
    login(client, "owner")
    page = client.get(
        "/processes/new/modeler?process_id=legality_review_town&name=乡镇合法性审查&template=legality_review"
    ).get_data(as_text=True)
    context = _context(page)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    assert 'id="legality_review"' not in context["xml"]
    checked = client.post(
        "/processes/legality_review_town/validate", json={"xml": context["xml"], "new": True},
        headers={"X-CSRFToken": token},
    )  # fmt: skip
    assert checked.status_code == 200
    assert [p for p in checked.get_json()["problems"] if p["severity"] == "error"] == []
    deployed = client.post(
        "/processes/legality_review_town/deploy",
        json={"xml": context["xml"], "comment": "乡镇试点"}, headers={"X-CSRFToken": token},
    )  # fmt: skip
    assert deployed.status_code == 200 and deployed.get_json()["version"] == 1
    with db.read() as session:
        copy = definitions.latest_definition(session, "legality_review_town")
        assert copy.name == "乡镇合法性审查"
    assert client.get("/processes/legality_review_town/modeler").status_code == 200


def test_a_bad_new_process_names_every_problem_on_the_processes_page(client, db):
    login(client, "owner")
    refused = client.get("/processes/new/modeler?process_id=legality_review&name=&template=nope")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    for text in ("流程 ID 已存在：legality_review", "请填写流程名称", "请选择模板"):
        assert text in page
    assert client.get("/processes/new/modeler?process_id=X-1&name=a").status_code == 400


def test_only_those_who_deploy_may_start_a_new_process(client, db):
    login(client, "bureau")  # reads models, does not deploy
    assert client.get("/processes/new/modeler?process_id=abc_def&name=a").status_code == 403
    assert "新建流程" not in client.get("/processes").get_data(as_text=True)
