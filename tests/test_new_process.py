"""新建流程 in the modeler: a blank executable template or a copy of a deployed process under a
new id, stored only once deployed; a bad id, name or template is refused naming each."""

from __future__ import annotations

import json
import re

import pytest

from app.engine import parse_bpmn
from app.services.design import definitions
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
