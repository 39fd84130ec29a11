"""Starting processes and uploading attachments through the JSON API and the web."""

from __future__ import annotations

import io

import pytest

from app.services.actor import SYSTEM
from app.services.identity import org
from tests.samples import PathData, load
from tests.test_web import _csrf, login


@pytest.fixture
def tokens(db):
    with db.write() as session:
        return {u: org.create_token(session, SYSTEM, u) for u in ("gtzy", "bureau", "court")}


def _h(token):
    return {"Authorization": f"Bearer {token}"}


def test_process_list_is_what_the_caller_may_start(client, tokens):
    agency = {
        p["process_id"] for p in client.get("/api/v1/processes", headers=_h(tokens["gtzy"])).json
    }
    bureau = {
        p["process_id"] for p in client.get("/api/v1/processes", headers=_h(tokens["bureau"])).json
    }
    assert "self_correction" in agency and "enforcement_supervision" not in agency
    assert bureau >= {"enforcement_supervision"}
    assert client.get("/api/v1/processes", headers=_h(tokens["court"])).status_code == 403


def test_start_process_with_documented_inputs(client, tokens):
    response = client.post(
        "/api/v1/processes/self_correction/instances",
        json={"data": {"origin": "loss_warning", "origin_ref": "（2026）苏0813行初5号预警函"}},
        headers=_h(tokens["gtzy"]),
    )
    assert response.status_code == 201
    (task,) = client.get("/api/v1/tasks", headers=_h(tokens["gtzy"])).json
    assert task["instance_id"] == response.json["instance_id"]
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=_h(tokens["gtzy"])).json
    assert detail["bpmn_id"] == "initiate"


def test_start_refusals(client, tokens):
    url = "/api/v1/processes/enforcement_supervision/instances"
    assert client.post(url, json={}, headers=_h(tokens["gtzy"])).status_code == 403
    unknown = client.post("/api/v1/processes/nope/instances", json={}, headers=_h(tokens["gtzy"]))
    assert unknown.status_code == 404
    bad = client.post(
        "/api/v1/processes/self_correction/instances",
        json={"data": {"lane_owners": {"x": "y"}, "__class__": 1, "ok": {"nested": 1}}},
        headers=_h(tokens["gtzy"]),
    )
    assert bad.status_code == 400
    assert set(bad.json["errors"]) == {"lane_owners", "__class__", "ok"}
    assert client.get("/api/v1/tasks", headers=_h(tokens["gtzy"])).json == []


def test_upload_then_reference_an_attachment_in_task_data(client, tokens):
    start = client.post(
        "/api/v1/processes/major_enforcement_decision/instances",
        json={},
        headers=_h(tokens["gtzy"]),
    )
    (task,) = client.get("/api/v1/tasks", headers=_h(tokens["gtzy"])).json
    bad = client.post(
        "/api/v1/attachments",
        data={"file": (io.BytesIO(b"MZ\x90\x00"), "tool.exe")},
        headers=_h(tokens["gtzy"]),
    )
    assert bad.status_code == 400
    uploaded = client.post(
        "/api/v1/attachments",
        data={"file": (io.BytesIO(b"%PDF-1.4 x"), "处罚材料.pdf")},
        headers=_h(tokens["gtzy"]),
    )
    assert uploaded.status_code == 201
    ref = uploaded.json
    data = PathData(load("major_enforcement_decision")["paths"]["passed_first_time"]).next(
        "draft_decision"
    )
    data["materials"] = [{"id": 99999}]
    missing = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=_h(tokens["gtzy"])
    )
    assert missing.status_code == 400 and "materials" in missing.json["errors"]
    data["materials"] = [{"id": ref["id"]}]
    ok = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=_h(tokens["gtzy"])
    )
    assert ok.status_code == 200
    instance = client.get(
        f"/api/v1/instances/{start.json['instance_id']}", headers=_h(tokens["gtzy"])
    ).json
    assert instance["tasks"][0]["data"]["materials"][0]["name"] == "处罚材料.pdf"
    download = client.get(f"/api/v1/attachments/{ref['id']}", headers=_h(tokens["gtzy"]))
    assert download.status_code == 200 and download.data == b"%PDF-1.4 x"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.mimetype == "application/pdf"


def test_a_file_up_to_the_stated_limit_is_accepted_and_a_larger_one_named(client, tokens):
    mib = 1024 * 1024
    accepted = client.post(
        "/api/v1/attachments",
        data={"file": (io.BytesIO(b"%PDF-1.7\n" + b"0" * (18 * mib)), "卷宗.pdf")},
        headers=_h(tokens["gtzy"]),
    )
    assert accepted.status_code == 201
    refused = client.post(
        "/api/v1/attachments",
        data={"file": (io.BytesIO(b"%PDF-1.7\n" + b"0" * (21 * mib)), "全部卷宗.pdf")},
        headers=_h(tokens["gtzy"]),
    )
    assert refused.status_code == 400
    assert refused.json["error"] == "文件过大：全部卷宗.pdf（上限 20 MiB）"
    assert refused.json["errors"] == {"file": ["文件过大：全部卷宗.pdf（上限 20 MiB）"]}


def test_web_form_uploads_files_with_the_submission(client, db):
    login(client, "gtzy")
    token = _csrf(client, "/processes")
    response = client.post(
        "/processes/major_enforcement_decision/start", data={"csrf_token": token}
    )
    assert response.status_code == 302 and "/tasks/" in response.headers["Location"]
    task_url = response.headers["Location"]
    page = client.get(task_url).get_data(as_text=True)
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page
    data = PathData(load("major_enforcement_decision")["paths"]["passed_first_time"]).next(
        "draft_decision"
    )
    data.pop("materials")
    form = {**data, "csrf_token": _csrf(client, task_url)}
    missing = client.post(task_url, data=form, content_type="multipart/form-data")
    assert missing.status_code == 400
    assert "此项为必填项" in missing.get_data(as_text=True) or "至少" in missing.get_data(
        as_text=True
    )
    form["materials"] = (io.BytesIO(b"%PDF-1.4 y"), "审核材料.pdf")
    done = client.post(task_url, data=form, content_type="multipart/form-data")
    assert done.status_code == 302
    instance_page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "审核材料.pdf" in instance_page


def test_adviser_flag_counts_lost_cases_of_the_last_three_years(db):
    from sqlalchemy import update

    from app.models import Case
    from app.services.identity import units
    from tests.helpers import register

    for n, (outcome, day) in enumerate(
        [("败诉", "2026-03-01"), ("部分败诉", "2025-01-01"), ("败诉", "2024-02-01"),
         ("胜诉", "2026-05-01"), ("败诉", "2023-01-01")]
    ):  # fmt: skip
        register(db, court_case_no=f"（{day[:4]}）苏0813行初{n}号", agency_unit="SCJG")
        with db.write() as session:
            session.execute(
                update(Case)
                .where(Case.case_no == f"（{day[:4]}）苏0813行初{n}号")
                .values(outcome=outcome, outcome_on=day)
            )
    with db.read() as session:
        from app.services.identity import org as org_service

        scjg = units.adviser_flag(session, org_service.unit_by_code(session, "SCJG"))
        gtzy = units.adviser_flag(session, org_service.unit_by_code(session, "GTZY"))
    assert scjg.lost_cases == 3  # 2023 is more than three years before 2026-09-30
    assert scjg.flagged  # different firm from the district government's
    assert gtzy.lost_cases == 0 and not gtzy.flagged
