"""What a form and an unknown address look like: the required mark only on what must be filled,
an error summary on top of a refused form, the cursor on the first field, and a 404 page."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from flask import render_template_string

from app.forms import fields_for
from tests.helpers import open_task, register
from tests.test_web import login

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.both_databases


def _render(app, schema: dict, errors: dict | None = None) -> str:
    fields = fields_for(schema, None, {}, date(2026, 9, 30))
    with app.test_request_context():
        return render_template_string(
            '{% import "_jsonform.html" as jf %}{{ jf.render_fields(fields, errors) }}',
            fields=fields, errors=errors,
        )  # fmt: skip


def _mark_of(page: str, name: str) -> bool:
    label = re.search(rf'<label class="field-label" for="f-{name}">(.*?)</label>', page, re.S)
    assert label, name
    return 'class="required"' in label.group(1)


def test_only_a_checkbox_that_must_be_ticked_carries_the_required_mark(app):
    optional = json.loads((ROOT / "forms/legality_review/submit_matter.schema.json").read_text())
    page = _render(app, optional)
    assert not _mark_of(page, "key_area")  # listed in "required" but may stay unticked
    assert _mark_of(page, "matter_type")  # a required select keeps it
    must = json.loads(
        (ROOT / "forms/pre_litigation_mediation/sign_agreement.schema.json").read_text()
    )
    assert _mark_of(_render(app, must), "signed")  # "const": true


def test_a_refused_form_opens_with_a_summary_linking_each_field(app):
    schema = {
        "type": "object",
        "required": ["a", "b"],
        "properties": {
            "a": {"type": "string", "title": "事项名称"},
            "b": {"type": "integer", "title": "件数"},
        },
    }
    clean = _render(app, schema)
    assert "error-summary" not in clean
    assert re.search(r'id="f-a"[^>]*data-autofocus', clean)  # the cursor starts in the first field
    refused = _render(
        app, schema, {"a": ["此项为必填项"], "b": ["格式不正确，应为整数"], "": ["请稍后重试"]}
    )
    summary = refused[refused.index("error-summary") : refused.index("</div>")]
    assert '<a href="#f-a">事项名称：此项为必填项</a>' in summary
    assert '<a href="#f-b">件数：格式不正确，应为整数</a>' in summary
    assert "请稍后重试" in summary


def test_the_login_puts_the_cursor_in_the_username(client):
    assert re.search(r'id="username"[^>]*autofocus', client.get("/login").get_data(as_text=True))


def test_unknown_addresses_and_ids_are_404_for_everyone_logged_in(client, db):
    assert client.get("/no/such/page").status_code == 404
    login(client, "gtzy")
    for url in ("/no/such/page", "/tasks/abc", "/instances/999999", "/tasks/999999"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "404" in response.get_data(as_text=True)


def test_a_task_of_another_unit_answers_like_one_that_does_not_exist(client, db):
    task = open_task(db, register(db))  # the center's task
    login(client, "scjg")
    hidden = client.get(f"/tasks/{task.id}")
    missing = client.get("/tasks/999999")
    assert hidden.status_code == missing.status_code == 404
    assert _message(hidden) == _message(missing)  # nothing tells that the task exists


def _message(response) -> str:
    return re.search(r'<p role="alert">(.*?)</p>', response.get_data(as_text=True)).group(1)
