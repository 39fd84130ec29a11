"""The district's settings: changed only through one service, which checks type and bounds (a
Chinese message naming the setting, nothing stored) and audits each change; read typed."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app import clock as product_clock
from app.cli import main
from app.config import INTERVIEW_MIN_CONCLUDED, LOSS_RATE_THRESHOLD, RECONSIDERATION_ORGAN
from app.errors import Forbidden, InvalidInput
from app.models import AuditEvent, Case, Notification, Setting
from app.services import district_settings
from app.services.actor import SYSTEM
from app.services.court import reconsiderations
from app.services.notify import mail
from tests.helpers import actor, register, step

pytestmark = pytest.mark.both_databases


def _changes(db) -> list[dict]:
    with db.read() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "setting.change"))
        return [e.detail for e in events]


def _refused(db, key, value) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        district_settings.change(db, SYSTEM, key, value)
    with db.read() as session:
        assert session.get(Setting, key) is None
    assert _changes(db) == []
    return refused.value


def test_a_value_of_the_wrong_type_is_refused_naming_the_setting(db):
    refused = _refused(db, "many_lost_threshold", "三件")
    assert refused.message == "设置“近三年败诉较多的件数”（many_lost_threshold）的取值不合法"
    assert refused.errors == {"many_lost_threshold": ["格式不正确，应为整数"]}
    assert _refused(db, "loss_rate_threshold", True).errors == {
        "loss_rate_threshold": ["格式不正确，应为数字"]
    }


def test_a_value_out_of_bounds_is_refused_with_every_problem(db):
    assert _refused(db, "loss_rate_threshold", 1.5).errors == {
        "loss_rate_threshold": ["不能大于 1"]
    }
    assert _refused(db, "attachment_quota_mb", 0).errors == {"attachment_quota_mb": ["不能小于 1"]}
    assert _refused(db, "lost_outcomes", ["败诉", 3, ""]).errors == {
        "lost_outcomes": ["第 2 项：格式不正确，应为文本", "第 3 项：至少 1 个字"]
    }
    with db.read() as session:
        assert district_settings.get(session, LOSS_RATE_THRESHOLD) == 0.3


def test_an_unknown_setting_and_a_non_administrator_are_refused(db):
    with pytest.raises(InvalidInput, match="没有名为 loss_rate 的设置"):
        district_settings.change(db, SYSTEM, "loss_rate", 0.4)
    with pytest.raises(Forbidden):
        district_settings.change(db, actor(db, "bureau"), "loss_rate_threshold", 0.4)
    assert _changes(db) == []
    district_settings.change(db, actor(db, "admin"), "loss_rate_threshold", 0.4)
    assert _changes(db) == [{"key": "loss_rate_threshold", "value": 0.4, "before": None}]


def test_a_change_is_stored_typed_and_audited_with_the_value_before(db):
    assert district_settings.change(db, SYSTEM, "interview_min_concluded", 4.0) == 4
    district_settings.change(db, SYSTEM, "interview_min_concluded", 5)
    with db.read() as session:
        value = district_settings.get(session, INTERVIEW_MIN_CONCLUDED)
    assert value == 5 and type(value) is int
    assert _changes(db) == [
        {"key": "interview_min_concluded", "value": 4, "before": None},
        {"key": "interview_min_concluded", "value": 5, "before": 4},
    ]


def test_a_stored_value_outside_its_bounds_counts_as_the_default(db):
    with db.write() as session:  # written behind the service's back
        session.add(Setting(key="loss_rate_threshold", value=7, updated_at=product_clock.now()))
    with db.read() as session:
        assert district_settings.get(session, LOSS_RATE_THRESHOLD) == 0.3


def test_the_command_refuses_a_bad_value_and_takes_plain_text_for_a_text_setting(db, clock):
    bad = CliRunner().invoke(main, ["settings", "set", "digest_working_days", "0"])
    assert bad.exit_code == 2 and "每日待办摘要的天数" in bad.output and "不能小于 1" in bad.output
    ok = CliRunner().invoke(main, ["settings", "set", "reconsideration_organ", "淮安市人民政府"])
    assert ok.exit_code == 0, ok.output
    with db.read() as session:
        assert district_settings.get(session, RECONSIDERATION_ORGAN) == "淮安市人民政府"
    clock.set("2026-10-14T10:00:00+08:00")
    decision = {
        "decision_no": "淮政复决〔2026〕3号", "unit": "GTZY", "applicant": "某某公司",
        "subject": "不服行政处罚决定", "outcome": "维持", "decided_on": "2026-10-09",
        "received_on": "2026-10-12",
    }  # fmt: skip
    recorded = reconsiderations.record(db, actor(db, "bureau"), decision)
    with db.read() as session:  # no organ given: the district's reconsideration organ
        assert session.get(Case, recorded.case.id).court == "淮安市人民政府"


def test_the_daily_digest_looks_as_far_ahead_as_the_setting_says(db, clock):
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")  # due 10-10
    district_settings.change(db, SYSTEM, "digest_working_days", 1)
    clock.set("2026-10-08T08:30:00+08:00")  # one working day ahead: up to 10-09
    with db.write() as session:
        assert mail.daily_digest(session) == 0
        assert session.scalar(select(Notification).where(Notification.kind == "digest")) is None
