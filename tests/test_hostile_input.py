"""No 500 on hostile input: JSON nested past the limit, lone surrogates, NUL characters (which
PostgreSQL refuses in text), over-length values (which overflow its ``String(n)`` columns), a
100,000-character search and dates in year 9999 each get a 400 naming the field (a web form is
shown again with the message under the field), and nothing is stored; a failed upload leaves
no file behind."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from app.models import Attachment, AuditEvent, Case, CourtMessage, Substitution
from app.services.execution import processes
from app.workdays import DateOutOfRange, WorkCalendar
from tests.helpers import CASE, FORM_DATA, actor, bearer_headers, open_task, register
from tests.test_web import _csrf, login

pytestmark = pytest.mark.both_databases

DEEP = "[" * 100_000 + "]" * 100_000
PAST_OUR_LIMIT = "[" * 200 + "]" * 200  # orjson reads it (and stored it); the app's limit is 32
MESSAGE = {"name": "pre_filing_notice", "case_no": "（2026）苏0813行诉前99号",
           "idempotency_key": "hostile-1",
           "payload": {"plaintiff": "李某", "agency_unit": "GTZY", "subject": "不服处罚",
                       "court": "洪泽区人民法院"}}  # fmt: skip
CORRECTION = {"origin": "initiative", "act_description": "对某公司作出的《行政处罚决定书》",
              "act_date": "2026-09-01", "defect": "处罚幅度明显不当",
              "seriously_unlawful": False, "uncompensated_harm": False}  # fmt: skip


def _json(value: Any) -> str:
    return json.dumps(value)  # ASCII: a lone surrogate travels as the escape "\ud800"


def _with(base: dict[str, Any], **changes: Any) -> str:
    return _json({**base, **changes})


def _raw_field(base: dict[str, Any], name: str, raw_json_value: str) -> str:
    """``base`` as JSON text with one field's value written as raw JSON text."""
    return _json({**base, name: "@@"}).replace('"@@"', raw_json_value)


# (what, method, url, body: JSON text or None, user, field named in errors)
API_CASES = [
    ("nesting deeper than the parser allows", "POST", "/api/v1/cases", DEEP, "center", ""),
    ("nesting past the app's limit", "POST", "/api/v1/messages",
     _raw_field(MESSAGE, "payload", _raw_field(MESSAGE["payload"], "materials", PAST_OUR_LIMIT)),
     "court", "materials"),
    ("a lone surrogate", "POST", "/api/v1/cases", _with(CASE, plaintiff="张\ud800"), "center",
     "plaintiff"),
    ("a NUL character", "POST", "/api/v1/cases", _with(CASE, court_case_no="（2026）\x00号"),
     "center", "court_case_no"),
    ("an over-length case number", "POST", "/api/v1/cases", _with(CASE, court_case_no="号" * 101),
     "center", "court_case_no"),
    ("an over-length plaintiff", "POST", "/api/v1/cases", _with(CASE, plaintiff="张" * 201),
     "center", "plaintiff"),
    ("a date in year 9999", "POST", "/api/v1/cases", _with(CASE, received_on="9999-12-31"),
     "center", "received_on"),
    ("a 100,000-character search", "GET", "/api/v1/cases?q=" + "案" * 100_000, None, "center",
     "q"),
    ("a NUL in a search", "GET", "/api/v1/cases?q=a%00b", None, "center", "q"),
    ("a deadline counted from year 9999", "GET",
     "/api/v1/calendar/deadline?from=9999-12-30&working_days=5", None, "center", "from"),
    ("statistics up to year 9999", "GET", "/api/v1/stats/loss-rate?to=9999-12-31", None,
     "admin", "to"),
    ("an evaluation of year 9999", "POST", "/api/v1/evaluations",
     _json({"from": "9999-10-01", "to": "9999-12-31"}), "admin", "from"),
    ("a substitute in year 9999", "POST", "/api/v1/substitutes",
     _json({"substitute": "gtzy_reviewer", "starts_on": "9999-12-30", "ends_on": "9999-12-31",
            "reason": "出差"}), "gtzy", "starts_on"),
    ("a NUL in a court message's payload", "POST", "/api/v1/messages",
     _with(MESSAGE, payload={**MESSAGE["payload"], "plaintiff": "李\x00某"}), "court",
     "plaintiff"),
    ("an over-length case number in a court message", "POST", "/api/v1/messages",
     _with(MESSAGE, case_no="号" * 150), "court", "case_no"),
    ("a NUL in task data", "POST", "/api/v1/tasks/{task}/complete",
     _json({"data": {**FORM_DATA["register_materials"], "notice_no": "洪调\x00交"}}), "center",
     "notice_no"),
    ("a lone surrogate in task data", "POST", "/api/v1/tasks/{task}/complete",
     _json({"data": {**FORM_DATA["register_materials"], "notice_no": "\udc00"}}), "center",
     "notice_no"),
    ("an over-length document number", "POST", "/api/v1/tasks/{task}/complete",
     _json({"data": {**FORM_DATA["register_materials"], "notice_no": "洪" * 150}}), "center",
     "notice_no"),
    ("a task date in year 9999", "POST", "/api/v1/tasks/{correction}/complete",
     _json({"data": {**CORRECTION, "act_date": "9999-12-31"}}), "gtzy", "act_date"),
    ("a NUL in a path segment", "POST", "/api/v1/processes/a%00b/instances", _json({}), "gtzy",
     "process_id"),
]  # fmt: skip


def _self_correction(db) -> int:
    """An instance of mechanism 3 whose first form has a date field."""
    return processes.start(db, actor(db, "gtzy"), "self_correction", {}).id


def _stored(db, settings) -> tuple[int, ...]:
    """What a refused request must leave as it was: rows and attachment files."""
    with db.read() as session:
        counts = tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Case, CourtMessage, Attachment, AuditEvent, Substitution)
        )
    folder = settings.data_dir / "attachments"
    return (*counts, len(list(folder.iterdir())) if folder.exists() else 0)


@pytest.fixture
def tokens(db):
    return bearer_headers(db, "center", "admin", "gtzy", "court")


@pytest.mark.parametrize(("what", "method", "url", "body", "user", "field"), API_CASES,
                         ids=[c[0] for c in API_CASES])  # fmt: skip
def test_hostile_api_input_is_a_400_naming_the_field_and_stores_nothing(
    client, db, settings, tokens, what, method, url, body, user, field
):
    task = open_task(db, register(db))
    correction = open_task(db, _self_correction(db))
    before = _stored(db, settings)
    response = client.open(
        url.format(task=task.id, correction=correction.id), method=method, data=body,
        headers={**tokens[user], "Content-Type": "application/json"},
    )  # fmt: skip
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    answer = response.get_json()
    assert field in answer["errors"], answer
    assert _stored(db, settings) == before


def test_an_upload_refused_after_its_checks_leaves_no_file(client, db, settings, tokens):
    """A name the database cannot hold (NUL; too long for the column) is refused before the
    file is written; formerly PostgreSQL refused the row after it was, leaving the file."""
    before = _stored(db, settings)
    for name in ("材料\x00.pdf", "材" * 300 + ".pdf"):
        response = client.post(
            "/api/v1/attachments", data={"file": (io.BytesIO(b"%PDF-1.4 x"), name)},
            headers=tokens["gtzy"],
        )  # fmt: skip
        assert response.status_code == 400 and "file" in response.get_json()["errors"]
    assert _stored(db, settings) == before


def _multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    """A form post as a browser sends it, with bytes that need not be valid UTF-8."""
    boundary = b"hostileboundary"
    parts = [
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + name.encode()
        + b'"\r\n\r\n' + value + b"\r\n"
        for name, value in fields.items()
    ]  # fmt: skip
    body = b"".join(parts) + b"--" + boundary + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary.decode()}"


def _under_field(page: str, name: str, message: str) -> bool:
    return re.search(rf'id="f-{name}".*?field-error.*?{re.escape(message)}', page, re.S) is not None


def test_case_form_is_shown_again_with_each_problem_under_its_field(client, db, settings):
    login(client, "center")
    before = _stored(db, settings)
    fields = {name: value.encode() for name, value in CASE.items()}
    fields.update(
        csrf_token=_csrf(client, "/cases/new").encode(),
        plaintiff="张\x00某".encode(),
        court=b"\xed\xa0\x80",  # a lone surrogate encoded as UTF-8 (not valid UTF-8)
        court_case_no=("号" * 101).encode(),
    )
    body, content_type = _multipart(fields)
    response = client.post("/cases/new", data=body, content_type=content_type)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _under_field(page, "plaintiff", "不能包含空字符")
    assert _under_field(page, "court", "包含无效字符")
    assert _under_field(page, "court_case_no", "最多 100 个字")
    assert _stored(db, settings) == before


def test_task_form_is_shown_again_with_bad_text_and_dates_under_their_fields(client, db, settings):
    task = open_task(db, _self_correction(db))
    login(client, "gtzy")
    before = _stored(db, settings)
    form = {
        **CORRECTION, "seriously_unlawful": "", "uncompensated_harm": "",
        "defect": "处罚幅度\x00明显不当", "act_date": "9999-12-31",
        "csrf_token": _csrf(client, f"/tasks/{task.id}"),
    }  # fmt: skip
    response = client.post(f"/tasks/{task.id}", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _under_field(page, "defect", "不能包含空字符")
    assert _under_field(page, "act_date", "日期须在 1900-01-01 至 2199-12-31 之间")
    assert _stored(db, settings) == before


def test_a_long_search_is_shown_under_the_search_field(client, db):
    login(client, "center")
    response = client.get("/cases?q=" + "案" * 100_000)
    assert response.status_code == 400
    assert _under_field(response.get_data(as_text=True), "q", "最多 200 个字")


def test_instance_filters_refuse_dates_in_year_9999(client, db):
    login(client, "auditor")
    response = client.get("/instances?started_to=9999-12-31")
    assert response.status_code == 400
    assert "日期须在 1900-01-01 至 2199-12-31 之间" in response.get_data(as_text=True)


def test_other_web_forms_refuse_a_nul_with_a_400(client, db, settings):
    """Forms that report through a message rather than under a field: the text check before
    the view names the problem (formerly PostgreSQL refused the NUL with a 500)."""
    login(client, "gtzy")
    before = _stored(db, settings)
    response = client.post("/substitutes", data={
        "substitute": "gtzy_reviewer\x00", "starts_on": "2026-10-01", "ends_on": "2026-10-02",
        "reason": "出差", "csrf_token": _csrf(client, "/substitutes"),
    })  # fmt: skip
    assert response.status_code == 400
    assert "不能包含空字符" in response.get_data(as_text=True)
    assert _stored(db, settings) == before


@pytest.mark.sqlite_only
def test_a_deadline_past_year_9999_is_a_clear_error():
    calendar = WorkCalendar()
    assert calendar.add_working_days(date(2199, 12, 31), 5).due_date.year == 2200
    for compute in (calendar.add_working_days, calendar.add_calendar_days):
        with pytest.raises(DateOutOfRange, match="9999-12-31"):
            compute(date(9999, 12, 30), 5)
