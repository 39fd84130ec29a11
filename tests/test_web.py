"""The web pages, through Flask's test client (CSRF on)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.helpers import CASE, FORM_DATA, open_task, register, step


def _csrf(client: FlaskClient, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def login(client: FlaskClient, username: str) -> None:
    token = _csrf(client, "/login")
    response = client.post(
        "/login",
        data={"username": username, "password": f"{username}-Demo2026", "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def test_login_required_and_wrong_password_is_refused(client):
    assert client.get("/").status_code == 302
    token = _csrf(client, "/login")
    response = client.post(
        "/login", data={"username": "center", "password": "wrong-password", "csrf_token": token}
    )
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "center", "password": "center-Demo2026"})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_center_registers_a_case_from_the_web(client, db):
    login(client, "center")
    token = _csrf(client, "/cases/new")
    response = client.post("/cases/new", data={**CASE, "csrf_token": token})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "法院诉前移送调处" in page
    assert CASE["court_case_no"] in page
    assert "登记材料并发送交办通知书" in page


def test_register_form_shows_errors_beside_fields(client, db):
    login(client, "center")
    token = _csrf(client, "/cases/new")
    response = client.post("/cases/new", data={**CASE, "plaintiff": "", "csrf_token": token})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r"f-plaintiff.*?field-error.*?此项为必填项", page, re.S)


def test_agency_cannot_register_cases(client, db):
    login(client, "gtzy")
    token = _csrf(client, "/cases/new")
    response = client.post("/cases/new", data={**CASE, "csrf_token": token})
    assert response.status_code == 403


def test_task_form_errors_are_shown_and_nothing_is_saved(client, db):
    instance_id = register(db)
    task = open_task(db, instance_id)
    login(client, "center")
    token = _csrf(client, f"/tasks/{task.id}")
    response = client.post(
        f"/tasks/{task.id}",
        data={"notice_no": "洪调交〔2026〕7号", "csrf_token": token},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "此项为必填项" in page
    assert 'value="洪调交〔2026〕7号"' in page  # what was typed is kept
    assert open_task(db, instance_id).id == task.id


def test_inbox_shows_due_date_working_days_left_and_overdue(client, db, clock):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    login(client, "gtzy")
    page = client.get("/").get_data(as_text=True)
    assert "确定责任领导、联络人及初步调处方案" in page
    assert "2026-10-10" in page
    assert '<span class="tag overdue">已逾期</span>' not in page  # (the filter is named so too)
    clock.set("2026-10-12T09:00:00+08:00")
    login(client, "gtzy")  # days later: a login lasts 12 hours at most
    page = client.get("/").get_data(as_text=True)
    assert 'class="overdue"' in page
    assert '<span class="tag overdue">已逾期</span>' in page
    assert "逾期 1 个工作日" in page


def test_other_agency_cannot_open_the_task_or_instance(client, db):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    task = open_task(db, instance_id)
    login(client, "scjg")
    assert client.get(f"/tasks/{task.id}").status_code == 404
    assert client.get(f"/instances/{instance_id}").status_code == 404
    assert "确定责任领导" not in client.get("/").get_data(as_text=True)


def test_agency_completes_its_task_in_the_browser_form(client, db):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    task = open_task(db, instance_id)
    login(client, "gtzy")
    token = _csrf(client, f"/tasks/{task.id}")
    response = client.post(
        f"/tasks/{task.id}", data={**FORM_DATA["agency_reply"], "csrf_token": token}
    )
    assert response.status_code == 302
    assert open_task(db, instance_id).bpmn_id == "schedule_mediation"
    page = client.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert "行政争议调处交办通知书" in page
    doc_link = re.search(r'href="(/documents/\d+)"', page)
    download = client.get(doc_link.group(1))
    assert download.status_code == 200
    assert download.data[:2] == b"PK"
