"""系统管理 in the browser: users, units, settings, API tokens and the holiday import, each change
an administrator's, checked field by field and audited; everyone else is refused."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.errors import Forbidden
from app.models import ApiToken, AuditEvent, CalendarDay, Setting, Timer, Unit, User
from app.models.states import TimerStatus
from app.services.identity import administration
from app.services.identity.permissions import REFUSALS, Action
from tests.helpers import actor, register, step

pytestmark = pytest.mark.both_databases


def _csrf(client: FlaskClient, url: str = "/login") -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def _login(client: FlaskClient, username: str, password: str | None = None) -> int:
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": password or f"{username}-Demo2026",
            "csrf_token": _csrf(client),
        },
    )
    return response.status_code


def _admin(app) -> FlaskClient:
    client = app.test_client()
    assert _login(client, "admin") == 302
    return client


def _post(client: FlaskClient, url: str, page: str = "", **data: str):
    """POST ``data`` to ``url`` with the CSRF token of ``page`` (the form's page: ``url``)."""
    return client.post(url, data={**data, "csrf_token": _csrf(client, page or url)})


def _events(db, action: str) -> list[AuditEvent]:
    """The administrator's events of ``action`` (the demo data brings its own as the system)."""
    with db.read() as session:
        events = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.actor == "admin")
        return list(session.scalars(events.order_by(AuditEvent.id)))


def test_an_admin_adds_a_user_who_logs_in_with_the_temporary_password_once(app, db):
    client = _admin(app)
    response = _post(
        client, "/admin/users", username="wangmin", display_name="王敏", unit="TCZX",
        role="center", email="wangmin@hongze.gov.cn",
    )  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    password = re.search(r'id="temporary-password">([^<]+)<', page).group(1)
    assert "只显示这一次" in page
    [added] = _events(db, "user.add")
    assert added.actor == "admin" and added.detail["username"] == "wangmin"
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == "wangmin"))
        assert (user.email, user.role, user.unit.code) == (
            "wangmin@hongze.gov.cn",
            "center",
            "TCZX",
        )
    newcomer = app.test_client()
    assert _login(newcomer, "wangmin", password) == 302
    assert "/password" in newcomer.get("/").headers["Location"]  # must choose their own first
    assert password not in client.get("/admin/users").get_data(as_text=True)  # shown once


def test_a_refused_user_names_every_problem_at_the_top_and_stores_nothing(app, db):
    client = _admin(app)
    response = _post(
        client, "/admin/users", username="gtzy", display_name="", unit="", role="boss",
        email="not-an-address",
    )  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = page[
        page.index('class="error-summary"') : page.index("</div>", page.index("error-summary"))
    ]
    for text in ("用户名已存在：gtzy", "请选择单位", "请选择角色", "电子邮箱格式不正确"):
        assert text in summary
    assert _events(db, "user.add") == []


def test_only_an_administrator_may_administer(app, db):
    bureau = app.test_client()
    assert _login(bureau, "bureau") == 302
    for url in (
        "/admin/users",
        "/admin/units",
        "/admin/settings",
        "/admin/tokens",
        "/admin/holidays",
    ):
        assert bureau.get(url).status_code == 403, url
    new = administration.NewUser("x1", "", "TCZX", "center", "")
    with pytest.raises(Forbidden, match=REFUSALS[Action.ADMINISTER]):
        administration.create_user(db, actor(db, "bureau"), new)
    assert "系统管理" not in bureau.get("/").get_data(as_text=True)


def test_reset_deactivate_and_reactivate_from_the_user_page(app, db):
    client = _admin(app)
    response = _post(client, "/admin/users/gtzy", do="reset")
    password = re.search(r'id="temporary-password">([^<]+)<', response.get_data(as_text=True))
    assert password and _login(app.test_client(), "gtzy") == 200  # the old password is gone
    assert _login(app.test_client(), "gtzy", password.group(1)) == 302
    assert _post(client, "/admin/users/gtzy", do="deactivate", reason="调离").status_code == 302
    assert _login(app.test_client(), "gtzy", password.group(1)) == 200
    assert _post(client, "/admin/users/gtzy", do="reactivate").status_code == 302
    assert [e.actor for e in _events(db, "user.deactivate")] == ["admin"]
    assert [e.detail["reason"] for e in _events(db, "user.deactivate")] == ["调离"]


def test_role_unit_and_email_changes_are_audited_and_a_bad_email_is_refused(app, db):
    client = _admin(app)
    assert _post(client, "/admin/users/gtzy", do="role", role="agency_head").status_code == 302
    assert _post(client, "/admin/users/gtzy", do="unit", unit="SCJG").status_code == 302
    assert _post(client, "/admin/users/gtzy", do="email", email="a@b.cn").status_code == 302
    refused = _post(client, "/admin/users/gtzy", do="email", email="a@")
    assert refused.status_code == 400 and "电子邮箱格式不正确" in refused.get_data(as_text=True)
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == "gtzy"))
        assert (user.role, user.unit.code, user.email) == ("agency_head", "SCJG", "a@b.cn")
    assert [e.detail["after"] for e in _events(db, "user.email_change")] == ["a@b.cn"]


def test_the_only_administrator_cannot_deactivate_themselves(app, db):
    refused = _post(_admin(app), "/admin/users/admin", do="deactivate", reason="")
    assert refused.status_code == 400
    assert "不能停用自己的账户" in refused.get_data(as_text=True)


def test_a_units_reviewer_must_belong_to_it_and_the_firm_is_stored(app, db):
    client = _admin(app)
    refused = _post(client, "/admin/units", do="reviewer", unit="GTZY", username="scjg")
    assert refused.status_code == 400 and "审查专人须为本单位人员" in refused.get_data(as_text=True)
    assert (
        _post(client, "/admin/units", do="reviewer", unit="GTZY", username="gtzy").status_code
        == 302
    )
    assert (
        _post(client, "/admin/units", do="firm", unit="GTZY", firm="江苏某律师事务所").status_code
        == 302
    )
    with db.read() as session:
        unit = session.scalar(select(Unit).where(Unit.code == "GTZY"))
        reviewer = session.get(User, unit.designated_reviewer_id)
        assert (reviewer.username, unit.legal_adviser_firm) == ("gtzy", "江苏某律师事务所")
    assert [e.actor for e in _events(db, "unit.adviser_firm")] == ["admin"]


def test_an_admin_adds_a_unit_whose_people_are_then_added(app, db):
    client = _admin(app)
    refused = _post(client, "/admin/units", do="add", code="GT ZY!", name="洪泽区司法局", kind="")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert all(
        f"{label}：" in text for label in ("单位代码", "单位名称", "单位类型")
    )  # every problem at once, by its label
    assert "单位名称已存在" in text
    added = _post(
        client, "/admin/units", do="add", code="ZJJ", name="洪泽区住房和城乡建设局", kind="agency"
    )
    assert added.status_code == 302
    assert "洪泽区住房和城乡建设局" in client.get("/admin/units").get_data(as_text=True)
    assert (
        _post(
            client, "/admin/users", username="zjj", display_name="程伟", unit="ZJJ",
            role="agency", email="",
        ).status_code
        == 200
    )  # fmt: skip
    with db.read() as session:
        unit = session.scalar(select(Unit).where(Unit.code == "ZJJ"))
        person = session.scalar(select(User).where(User.username == "zjj"))
        assert (unit.kind, person.unit_id) == ("agency", unit.id)
    assert [e.detail["code"] for e in _events(db, "unit.add")] == ["ZJJ"]


def test_a_setting_with_a_bad_value_is_refused_naming_it_and_a_good_one_is_stored(app, db):
    client = _admin(app)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "约谈所需最少审结案件数" in page and "计为败诉的裁判结果" in page
    refused = _post(client, "/admin/settings", key="interview_min_concluded", value="abc")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "约谈所需最少审结案件数：格式不正确，应为整数" in text
    assert 'value="abc"' in text  # what was typed stays on the page
    with db.read() as session:
        assert session.get(Setting, "interview_min_concluded") is None
    assert (
        _post(
            client, "/admin/settings", key="lost_outcomes", value="败诉\n部分败诉\n确认违法"
        ).status_code
        == 302
    )
    with db.read() as session:
        assert session.get(Setting, "lost_outcomes").value == ["败诉", "部分败诉", "确认违法"]
    [change] = _events(db, "setting.change")
    assert change.actor == "admin" and change.detail["before"] is None


def test_a_token_is_shown_once_works_until_revoked_and_is_listed_with_its_expiry(app, db):
    client = _admin(app)
    refused = _post(client, "/admin/tokens", username="", days="0")
    assert refused.status_code == 400
    assert "请选择用户" in refused.get_data(as_text=True)
    assert "有效期须为 1 至 3650" in refused.get_data(as_text=True)
    page = _post(client, "/admin/tokens", username="gtzy", days="30").get_data(as_text=True)
    token = re.search(r'id="new-token">([^<]+)<', page).group(1)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/tasks", headers=headers).status_code == 200
    listing = client.get("/admin/tokens").get_data(as_text=True)
    assert token not in listing and "2026-10-30" in listing  # 30 days from 2026-09-30
    with db.read() as session:
        token_id = session.scalar(select(ApiToken.id).order_by(ApiToken.id.desc()))
    assert _post(client, f"/admin/tokens/{token_id}/revoke", "/admin/tokens").status_code == 302
    assert api.get("/api/v1/tasks", headers=headers).status_code == 401
    assert "已撤销" in client.get("/admin/tokens").get_data(as_text=True)


# 2026-10-09 .. 2026-10-16: working days made holidays, so every deadline counted over them moves
SCHEDULE = "\n".join(f"2026-10-{d:02d},休,测试停工" for d in (9, 12, 13, 14, 15, 16))


def _waiting_due(db) -> list:
    with db.read() as session:
        return sorted(
            session.scalars(select(Timer.due_at).where(Timer.status == TimerStatus.WAITING))
        )


def test_a_holiday_import_previews_the_deadlines_it_moves_then_imports_when_confirmed(app, db):
    step(db, register(db), "center", "register_materials")  # the agency's 3 working days
    before = _waiting_due(db)
    assert before
    client = _admin(app)
    url = "/admin/holidays"
    upload = {
        "file": (io.BytesIO(SCHEDULE.encode()), "2026-test.txt"),
        "csrf_token": _csrf(client, url),
    }
    preview = client.post(url, data=upload, content_type="multipart/form-data")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "（2026）苏0813行诉前12号" in page and "将会调整" in page
    assert _waiting_due(db) == before  # nothing stored by the preview
    assert _events(db, "calendar.import") == []
    with db.read() as session:
        assert session.scalar(select(CalendarDay).limit(1)) is None
    done = _post(client, url, confirm="1", source="2026-test.txt", text=SCHEDULE)
    assert done.status_code == 302
    after = _waiting_due(db)
    assert after != before and max(after) > max(before)
    [imported] = _events(db, "calendar.import")
    assert imported.actor == "admin" and imported.detail["source"] == "2026-test.txt"
    with db.read() as session:  # each moved deadline audited (by the system, as the CLI's)
        recomputed = select(AuditEvent).where(AuditEvent.action == "deadline.recompute")
        assert session.scalar(recomputed.limit(1)) is not None


def test_a_bad_holiday_file_is_refused_naming_its_line(app, db):
    client = _admin(app)
    url = "/admin/holidays"
    bad = {
        "file": (io.BytesIO(b"2026-10-09,holiday\n2026-13-01,holiday"), "bad.txt"),
        "csrf_token": _csrf(client, url),
    }
    refused = client.post(url, data=bad, content_type="multipart/form-data")
    assert refused.status_code == 400
    assert "第 2 行" in refused.get_data(as_text=True)
