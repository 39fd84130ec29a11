"""Case numbers (案号) in one canonical form: a lookalike (half-width or full-width brackets and
digits, a zero-width space, an ideographic space, another bracket) is the same case, refused as
a duplicate, reached by a court message and found by searches and filters; numbers stored
before are rewritten by the migration."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import select, update

from app import clock
from app.migrate import alembic_config
from app.models import Case, CourtMessage
from app.services.identity import org
from tests.helpers import CASE, bearer_headers, register
from tests.test_web import login

pytestmark = pytest.mark.both_databases

NUMBER = CASE["court_case_no"]  # （2026）苏0813行诉前12号, as courts print it
LOOKALIKES = [
    "(2026)苏0813行诉前12号",  # half-width brackets
    "（２０２６）苏０８１３行诉前１２号",  # full-width digits
    "（2026）苏0813\u200b行诉前12号",  # a zero-width space
    "\u3000（2026）苏0813 行诉前12号\ufeff",  # ideographic and plain spaces, a BOM
    "〔2026〕苏0813行诉前12号",  # tortoise-shell brackets
    "[2026]苏0813行诉前12号",
]


@pytest.fixture
def tokens(db):
    return bearer_headers(db, "center", "court")


def _numbers(db) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Case.case_no).order_by(Case.id)))


@pytest.mark.parametrize("lookalike", LOOKALIKES)
def test_a_lookalike_of_a_registered_number_is_refused_as_a_duplicate(
    client, db, tokens, lookalike
):
    register(db)
    response = client.post(
        "/api/v1/cases", json={**CASE, "court_case_no": lookalike}, headers=tokens["center"]
    )
    assert response.status_code == 409, response.get_json()
    assert "案号已登记" in response.get_json()["error"]
    assert _numbers(db) == [NUMBER]


def test_a_number_is_stored_as_courts_print_it(client, db, tokens):
    response = client.post(
        "/api/v1/cases",
        json={**CASE, "court_case_no": "(２０２６)苏0813行诉前\u200b5号"},
        headers=tokens["center"],
    )
    assert response.status_code == 201
    assert response.get_json()["case_no"] == "（2026）苏0813行诉前5号"


def test_the_web_form_refuses_a_lookalike_too(client, db):
    register(db)
    login(client, "center")
    page = client.get("/cases/new").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/cases/new", data={**CASE, "court_case_no": LOOKALIKES[0], "csrf_token": token}
    )
    assert response.status_code == 409
    assert _numbers(db) == [NUMBER]


def test_a_court_message_with_a_lookalike_number_reaches_the_case(client, db, tokens):
    register(db)
    response = client.post(
        "/api/v1/messages",
        json={
            "name": "loss_warning_letter", "case_no": LOOKALIKES[0], "idempotency_key": "w-1",
            "payload": {"letter_no": "预警〔2026〕1号", "reason": "证据不足"},
        },
        headers=tokens["court"],
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    with db.read() as session:
        message = session.scalar(select(CourtMessage))
        case = session.scalar(select(Case))
    assert message is not None and case is not None and message.case_id == case.id


def test_searches_and_filters_find_a_lookalike(client, db, tokens):
    instance_id = register(db)
    found = client.get("/api/v1/cases", query_string={"q": "(2026)苏0813"},
                       headers=tokens["center"]).get_json()  # fmt: skip
    assert [c["case_no"] for c in found] == [NUMBER]
    login(client, "auditor")
    page = client.get("/instances", query_string={"case_no": "（２０２６）苏０８１３"})
    assert page.status_code == 200
    assert f"/instances/{instance_id}" in page.get_data(as_text=True)
    cases_page = client.get("/cases", query_string={"q": "行诉前\u200b12号"})
    assert NUMBER in cases_page.get_data(as_text=True)


def _reconsideration(db) -> None:
    """A reconsideration decision, whose number is a 文号 (〔〕 and all), not a case number."""
    with db.write() as session:
        session.add(Case(
            kind="reconsideration", case_no=DECISION_NO, plaintiff="某公司",
            agency_unit_id=org.unit_by_code(session, "GTZY").id, subject="x", claims="",
            court="洪泽区人民政府", received_on="2026-09-01", created_at=clock.now(),
            created_by="bureau",
        ))  # fmt: skip


DECISION_NO = "洪政复决〔2026〕3号"


def test_the_migration_rewrites_numbers_stored_before(db, settings):
    register(db)
    _reconsideration(db)
    config = alembic_config(settings.database_url)
    command.downgrade(config, "0014-1")
    with db.write() as session:
        session.execute(
            update(Case)
            .where(Case.kind == "litigation")
            .values(case_no="(2026)苏0813行诉前12号\u200b")
        )
    command.upgrade(config, "head")
    assert _numbers(db) == [NUMBER, DECISION_NO]


def test_a_reconsideration_decision_is_found_by_its_own_number(client, db, tokens):
    _reconsideration(db)
    found = client.get("/api/v1/cases", query_string={"q": DECISION_NO}, headers=tokens["center"])
    assert [c["case_no"] for c in found.get_json()] == [DECISION_NO]
