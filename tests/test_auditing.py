"""Issue: auditors inspect every instance and can prove the record was not altered."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from app.cli import main
from app.errors import InvalidInput
from app.services.records import audit
from app.services.reporting import inspection
from tests.helpers import actor, register, step
from tests.test_web import login

pytestmark = pytest.mark.both_databases


def _ids(db, username="auditor", **filters):
    with db.read() as session:
        page = inspection.list_instances(
            session, actor(db, username), inspection.InstanceFilter(**filters)
        )
    return [row.id for row in page.rows]


@pytest.fixture
def three(db, clock):
    """Three instances: GTZY (done agreement), SCJG (waiting on the agency), GTZY (new)."""
    first = register(db)
    for expect, user in [
        ("register_materials", "center"),
        ("agency_reply", "gtzy"),
        ("schedule_mediation", "center"),
        ("record_outcome", "center"),
        ("sign_agreement", "center"),
    ]:
        step(db, first, user, expect)
    clock.set("2026-10-09T10:00:00+08:00")
    second = register(db, court_case_no="（2026）苏0813行诉前20号", agency_unit="SCJG")
    step(db, second, "center", "register_materials")  # the notice reaches SCJG on 10-09
    clock.set("2026-10-20T10:00:00+08:00")
    third = register(db, court_case_no="（2026）苏0813行诉前30号")
    return first, second, third


def test_filters_by_mechanism_unit_status_overdue_case_and_dates(db, three):
    first, second, third = three
    assert _ids(db) == [third, second, first]
    assert _ids(db, process_id="pre_litigation_mediation") == [third, second, first]
    assert _ids(db, process_id="legality_review") == []
    assert _ids(db, unit="SCJG") == [second]
    assert _ids(db, unit="GTZY") == [third, first]
    assert _ids(db, status="completed") == [first]
    assert _ids(db, status="running") == [third, second]
    assert _ids(db, overdue=True) == [second]  # its agency reply was due 10-14
    assert _ids(db, case_no="诉前20号") == [second]
    assert _ids(db, case_no="（2026）苏0813行诉前20号") == [second]  # the whole number
    assert _ids(db, case_no="(2026)苏0813行诉前20号") == [second]  # half-width brackets
    assert _ids(db, case_no="诉前2") == [second]  # a fragment: every case containing it
    assert _ids(db, case_no="诉前99号") == []
    from datetime import date

    assert _ids(db, started_from=date(2026, 10, 9)) == [third, second]
    assert _ids(db, started_to=date(2026, 10, 9)) == [second, first]
    assert _ids(db, started_from=date(2026, 10, 9), started_to=date(2026, 10, 9)) == [second]


def test_an_agency_lists_only_its_own_instances(db, three):
    first, second, third = three
    assert _ids(db, "scjg") == [second]
    assert _ids(db, "gtzy") == [third, first]


def test_keyset_paging(db, clock):
    made = [register(db, court_case_no=f"（2026）苏0813行诉前{n}号") for n in range(55)]
    with db.read() as session:
        who = actor(db, "auditor")
        page1 = inspection.list_instances(session, who, inspection.InstanceFilter())
        page2 = inspection.list_instances(
            session, who, inspection.InstanceFilter(), page1.next_before
        )
    assert [r.id for r in page1.rows] == made[::-1][:50]
    assert [r.id for r in page2.rows] == made[::-1][50:]
    assert page2.next_before is None


def test_bad_filter_is_a_clear_400(client, db):
    with pytest.raises(InvalidInput):
        inspection.InstanceFilter.parse({"started_from": "yesterday"})
    login(client, "auditor")
    response = client.get("/instances?started_from=yesterday")
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.get_data(as_text=True)


def test_every_bad_filter_is_named_at_once(client, db):
    with pytest.raises(InvalidInput) as refused:
        inspection.InstanceFilter.parse(
            {"started_from": "yesterday", "started_to": "2026-13-40", "status": "gone"}
        )
    assert set(refused.value.errors) == {"started_from", "started_to", "status"}
    login(client, "auditor")
    page = client.get("/instances?started_from=x&started_to=y&status=gone")
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert all(label in text for label in ("启动日期（起）", "启动日期（止）", "未知的状态"))


def test_instance_page_marks_states_and_shows_what_changed(client, db, three):
    from app.services.execution import timer_pass

    first, second, third = three
    login(client, "auditor")
    page = client.get(f"/instances/{second}").get_data(as_text=True)
    assert '"agency_reply_deadline": "waiting"' in page.replace("&#34;", '"')
    timer_pass.run_pass(db)
    page = client.get(f"/instances/{second}").get_data(as_text=True)
    states = json.loads(page.split("data-states='", 1)[1].split("'", 1)[0].replace("&#34;", '"'))
    assert states["register_materials"] == "completed"
    assert states["agency_reply"] == "overdue"
    assert states["agency_reply_deadline"] == "completed"  # fired
    assert states["start_received"] == "completed"
    page = client.get(f"/instances/{first}").get_data(as_text=True)
    assert "sha256" in page and "第 1 版" in page
    assert "逾期" not in page.split("办理记录", 1)[1].split("期限", 1)[0]


def test_history_records_changed_values(db, clock):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    step(db, instance_id, "gtzy", "agency_reply")
    step(db, instance_id, "center", "schedule_mediation")
    step(db, instance_id, "center", "record_outcome", outcome_summary="第一次")
    with db.read() as session:
        found = inspection.inspect(session, actor(db, "auditor"), instance_id)
    assert found.steps[0].submitted["notice_no"] == "洪调交〔2026〕7号"
    assert set(found.steps[0].added) == {"materials_summary", "notice_no"}
    assert found.steps[0].changed == {}
    assert "outcome" in found.steps[3].added


def test_a_resubmitted_field_shows_its_old_value():
    added, changed = inspection.data_changes(
        {"plan": "第一稿", "leader": "赵刚"}, {"plan": "第二稿", "leader": "赵刚", "round": 2}
    )
    assert added == ["round"]
    assert changed == {"plan": ("第一稿", "第二稿")}


def _drop_append_only(conn, verb: str) -> None:
    """What an attacker with database access must do first."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"DROP TRIGGER audit_events_no_{verb}")
    else:
        conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")


def test_chain_verifies_and_a_tampered_row_is_named(db, settings):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    result = CliRunner().invoke(main, ["audit", "verify"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.startswith("审计链完整")
    with db.write_engine.connect() as conn:
        target = conn.execute(
            text("SELECT id FROM audit_events WHERE action = 'task.complete'")
        ).scalar()
        # an attacker with database access: the append-only trigger must be dropped first
        _drop_append_only(conn, "update")
        conn.execute(
            text("UPDATE audit_events SET actor = 'someone-else' WHERE id = :id"), {"id": target}
        )
        conn.commit()
    result = CliRunner().invoke(main, ["audit", "verify", "--full"])
    assert result.exit_code == 1
    assert f"事件 #{target}" in result.output and "签名（HMAC）不符" in result.output
    with db.read() as session:
        report = audit.verify(session)
    assert not report.ok and report.first_broken_id == target


def test_deleted_event_breaks_the_chain(db):
    register(db)
    with db.write_engine.connect() as conn:
        _drop_append_only(conn, "delete")
        conn.exec_driver_sql("DELETE FROM audit_events WHERE id = 3")
        conn.commit()
    with db.read() as session:
        report = audit.verify(session)
    assert not report.ok and report.first_broken_id == 4


def test_the_database_refuses_edits_to_the_audit_log(db):
    register(db)
    with db.write_engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.exec_driver_sql("UPDATE audit_events SET actor = 'x'")


def test_audit_page_shows_chain_state(client, db):
    register(db)
    login(client, "auditor")
    page = client.get("/audit").get_data(as_text=True)
    assert "尚未校验过审计链" in page
    CliRunner().invoke(main, ["audit", "verify"], catch_exceptions=False)
    page = client.get("/audit").get_data(as_text=True)
    assert "审计链完整" in page
    login_agency = client.application.test_client()
    login(login_agency, "gtzy")
    assert login_agency.get("/audit").status_code == 403


def test_dossier_zip_has_history_diagram_and_documents(client, db, tmp_path):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    login(client, "auditor")
    response = client.get(f"/instances/{instance_id}/dossier.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as zf:
        names = zf.namelist()
        history = json.loads(zf.read("history.json"))
        assert "pre_litigation_mediation.v1.bpmn" in names
        doc_name = next(n for n in names if n.startswith("documents/"))
        assert zf.read(doc_name)[:2] == b"PK"
    assert history["steps"][0]["submitted"]["notice_no"] == "洪调交〔2026〕7号"
    assert [e["action"] for e in history["audit_events"]][:2] == ["instance.start", "task.complete"]
    out = tmp_path / "d.zip"
    result = CliRunner().invoke(
        main, ["export", "instance", str(instance_id), "--out", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0 and zipfile.is_zipfile(out)


def _rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("vendor."):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "x")
            url = url.replace(f"<path:{arg}>", "x")
        yield rule, url


def test_auditor_cannot_write_through_any_route(app, client, db):
    from app.services.actor import SYSTEM
    from app.services.identity import org

    instance_id = register(db)
    assert instance_id == 1
    with db.write() as session:
        token = org.create_token(session, SYSTEM, "auditor")
    login(client, "auditor")  # logging in is itself an audit event (auth.login)
    with db.read() as session:
        before = session.execute(text("SELECT count(*) FROM audit_events")).scalar()
    csrf = client.get("/").get_data(as_text=True).split('name="csrf_token" value="', 1)[1][:200]
    csrf = csrf.split('"', 1)[0]
    tried = 0
    for rule, url in _rules(app):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            # starting a verification only adds its result (test_audit_verifications.py)
            if rule.endpoint in {
                "auth.login",
                "auth.logout",
                "instances.audit_verify_start",
                "api.start_verification",
            }:
                continue
            web = client.open(url, method=method, data={"csrf_token": csrf})
            api = client.open(
                url, method=method, json={"data": {}}, headers={"Authorization": f"Bearer {token}"}
            )
            for response in (web, api):
                assert response.status_code in {400, 401, 403, 404, 405}, (method, url)
            tried += 1
    assert tried > 20
    with db.read() as session:
        after = session.execute(text("SELECT count(*) FROM audit_events")).scalar()
    assert after == before
