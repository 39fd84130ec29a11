"""The routing table (processes/routing.toml) decides what court messages and case events start,
with which data, and what start data each diagram may read (issue 21 point 5)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app.models import ProcessInstance
from app.services.actor import SYSTEM
from app.services.design import definitions, routing
from app.services.execution import instances
from app.services.identity import org
from app.web.factory import create_app
from tests.versioning import ROOT, shipped

pytestmark = pytest.mark.both_databases

CASE_NO = "（2026）苏0813行初288号"
NOTICE = {
    "plaintiff": "某某公司", "agency_unit": "GTZY", "subject": "行政处罚",
    "court": "洪泽区人民法院", "received_on": "2026-09-30",
}  # fmt: skip
LETTER = {"letter_no": "洪法预警〔2026〕12号", "reason": "证据不足"}
LOST = {
    "outcome": "败诉", "effective_on": "2026-09-30", "performance_deadline": "2026-11-30",
    "defendants": ["GTZY", "SCJG"],
}  # fmt: skip
FAULT_ROUTE = """[[routes]]  # 有败诉单位 → 司法局的主观过错认定
on = "judgment"
when = ["has_losers"]
start = "fault_determination"
unit = "bureau"
lanes = { "区司法局" = "bureau", "纪检监察机关" = "discipline" }
include = ["case"]
[routes.data]
case_kind = "case.kind"
judgment_outcome = "message.outcome"
losing_unit_names = "losers.names"
"""


@pytest.fixture(autouse=True)
def shipped_table_afterwards() -> Iterator[None]:
    """A test that puts another table in use leaves the shipped one in use for the next."""
    yield
    routing.use(routing.SHIPPED)


def copy_processes(tmp_path: Path) -> Path:
    target = tmp_path / "processes"
    shutil.copytree(ROOT / "processes", target)
    return target


def edit_table(folder: Path, old: str, new: str) -> None:
    path = folder / routing.FILE_NAME
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def refusal(folder: Path) -> dict[str, list[str]]:
    with pytest.raises(routing.RoutingTableError) as refused:
        routing.load(folder)
    return refused.value.errors


def test_the_shipped_table_says_what_each_event_starts():
    table = routing.load(ROOT / "processes")
    starts = {}
    for route in table.routes:
        starts.setdefault(route.on, []).append(route.start)
    assert starts == {
        "case_registered": ["pre_litigation_mediation"],
        "pre_filing_notice": ["pre_filing_notice"],
        "loss_warning_letter": ["in_trial_resolution"],
        "case_page": ["in_trial_resolution"],
        "judgment": [
            "judgment_performance", "post_judgment_explanation", "loss_review",
            "fault_determination",
        ],
        "reconsideration_decision": ["loss_review"],
        "loss_rate_evaluation": ["loss_rate_interview"],
    }  # fmt: skip
    assert table.hand_start("in_trial_resolution").fixed == {
        "loss_warning_received": False, "warning_letter_no": "", "warning_reason": "",
    }  # fmt: skip
    assert table.hand_start("loss_review") is None
    assert table.case_processes() == {
        "pre_litigation_mediation", "pre_filing_notice", "in_trial_resolution",
        "judgment_performance", "post_judgment_explanation", "loss_review",
        "fault_determination", "loss_rate_interview", "discipline_feedback",
    }  # fmt: skip
    assert table.start_fields("pre_filing_notice") >= {"notice_received", "lane_owners"}
    assert "performance_due" not in table.start_fields("pre_filing_notice")


def test_a_malformed_table_names_every_problem_at_once_in_chinese(tmp_path):
    (tmp_path / routing.FILE_NAME).write_text(
        """
[fields]
court_case_no = { type = "text", label = "法院案号" }
due = { type = "datetime" }

[processes.judgment_performance]
case_bound = "yes"
start_data = ["court_case_no", "nope"]

[[routes]]
on = "verdict"
start = "judgment_performance"

[[routes]]
on = "judgment"
start = "judgment_performance"
when = ["lost", "raining"]
unit = "court"
lanes = { "法院" = "center" }
data = { court_case_no = "message.outcome_day", plaintiff = "case.plaintiff" }
""",
        encoding="utf-8",
    )
    errors = refusal(tmp_path)
    assert list(errors) == [
        "[fields.due]",
        "[processes.judgment_performance]",
        "第 1 条路由（verdict → judgment_performance）",
        "第 2 条路由（judgment → judgment_performance）",
        "[[routes]]",
    ]
    assert errors["[[routes]]"] == [
        "事件 case_registered（调处中心登记法院移送的诉前案件）须有且只有一条不带条件的路由"
    ]
    assert errors["[fields.due]"] == [
        "type 须为以下之一：text、date、boolean、number、event、unit_codes、events_by_unit",
        "缺少中文名（label）",
    ]
    assert errors["[processes.judgment_performance]"] == [
        "流程目录中没有 judgment_performance.bpmn",
        "case_bound 须为 true 或 false",
        "启动数据 nope 未在 [fields] 中定义",
    ]
    assert errors["第 1 条路由（verdict → judgment_performance）"][0].startswith(
        "on 须为已知的事件：case_registered、case_page、pre_filing_notice"
    )
    second = "\n".join(errors["第 2 条路由（judgment → judgment_performance）"])
    for problem in (
        "未知的条件 raining（事件 judgment 可用：lost、not_filed_or_dismissed、",
        "unit 须为：bureau、case_agency、center、government",
        "未知的泳道“法院”",
        "court_case_no 的来源 message.outcome_day 不是该事件提供的",
        "启动数据 plaintiff 未在 [processes.judgment_performance] 的 start_data 中声明",
    ):
        assert problem in second


def test_a_table_that_is_not_toml_is_refused_with_its_line(tmp_path):
    (tmp_path / routing.FILE_NAME).write_text('[fields]\ncourt_case_no = { type = "text"\n')
    errors = refusal(tmp_path)
    assert errors[""][0].startswith("第 2 行第 ")
    assert "不符合 TOML 格式" in errors[""][0]
    assert refusal(tmp_path / "missing") == {"": ["找不到该文件"]}


def test_a_route_giving_undeclared_data_is_refused_at_load(tmp_path):
    folder = copy_processes(tmp_path / "undeclared")
    edit_table(
        folder,
        'warning_reason = "message.reason"\n',
        'warning_reason = "message.reason"\nlosing_unit_names = "message.reason"\n',
    )
    assert refusal(folder) == {
        "第 3 条路由（loss_warning_letter → in_trial_resolution）": [
            "启动数据 losing_unit_names 未在 [processes.in_trial_resolution] 的 start_data 中声明"
        ]
    }
    folder = copy_processes(tmp_path / "mistyped")
    edit_table(
        folder, 'warning_reason = "message.reason"', 'warning_reason = "event.warning_served"'
    )
    assert refusal(folder) == {
        "第 3 条路由（loss_warning_letter → in_trial_resolution）": [
            "warning_reason 声明为文本，来源 event.warning_served 却是起算事件"
        ]
    }


def test_a_bad_table_stops_startup_and_init_without_a_traceback(tmp_path, settings):
    folder = copy_processes(tmp_path)
    edit_table(folder, 'start = "loss_rate_interview"', 'start = "loss_rate_interviews"')
    with pytest.raises(SystemExit) as stopped:
        create_app(dataclasses.replace(settings, processes_dir=folder))
    assert str(stopped.value).splitlines() == [
        f"路由表 {folder / 'routing.toml'} 有误（共 1 处）",
        "  第 10 条路由（loss_rate_evaluation → loss_rate_interviews）："
        "start：流程 loss_rate_interviews 未在 [processes] 中声明",
    ]
    assert routing.current().path == ROOT / "processes" / "routing.toml"  # still in use

    data = tmp_path / "data"
    env = {**os.environ, "HUAJIE_PROCESSES": str(folder), "HUAJIE_DATA": str(data)}
    env.pop("DATABASE_URL", None)
    init = subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", "init"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert init.returncode == 2
    assert "Traceback" not in init.stderr
    assert "start：流程 loss_rate_interviews 未在 [processes] 中声明" in init.stderr
    assert not (data / "huajie.sqlite3").exists()  # refused before touching the database


@pytest.fixture
def tokens(db):
    with db.write() as session:
        return {u: org.create_token(session, SYSTEM, u) for u in ("court", "center")}


def _send(client, tokens, name, payload, key):
    response = client.post(
        "/api/v1/messages",
        json={"name": name, "case_no": CASE_NO, "payload": payload, "idempotency_key": key},
        headers={"Authorization": f"Bearer {tokens['court']}"},
    )
    assert response.status_code == 201, response.json
    return response.json


def _started(db, ids) -> list[tuple[str, dict]]:
    with db.read() as session:
        found = []
        for instance_id in ids:
            instance = session.get(ProcessInstance, instance_id)
            data = instances.ENGINE.data(instances.restore(session, instance))
            found.append((instance.process_id, data))
        return found


def test_changing_a_route_in_a_copy_of_the_table_changes_what_a_message_starts(
    tmp_path, settings, db, tokens
):
    folder = copy_processes(tmp_path)
    edit_table(folder, FAULT_ROUTE, "")
    edit_table(folder, 'warning_reason = "message.reason"', 'warning_reason = "message.letter_no"')
    client = create_app(dataclasses.replace(settings, processes_dir=folder)).test_client()

    _send(client, tokens, "pre_filing_notice", NOTICE, "n1")
    warned = _send(client, tokens, "loss_warning_letter", LETTER, "w1")
    [(process_id, data)] = _started(db, warned["started"])
    assert process_id == "in_trial_resolution"
    assert data["warning_reason"] == "洪法预警〔2026〕12号"  # the letter's number, as routed

    judged = _send(client, tokens, "judgment", LOST, "j1")
    started = [process_id for process_id, _ in _started(db, judged["started"])]
    assert started == ["judgment_performance", "judgment_performance", "loss_review"]
    with db.read() as session:
        fault = select(ProcessInstance).where(ProcessInstance.process_id == "fault_determination")
        assert session.scalars(fault).all() == []


def test_the_shipped_table_starts_the_bureaus_fault_determination_on_a_loss(client, db, tokens):
    _send(client, tokens, "pre_filing_notice", NOTICE, "n1")
    warned = _send(client, tokens, "loss_warning_letter", LETTER, "w1")
    assert _started(db, warned["started"])[0][1]["warning_reason"] == "证据不足"
    judged = _send(client, tokens, "judgment", LOST, "j1")
    started = [process_id for process_id, _ in _started(db, judged["started"])]
    assert started == [
        "judgment_performance",
        "judgment_performance",
        "loss_review",
        "fault_determination",
    ]


TIMER = "working_days(notice_received, 1)"


def _deadline_problems(db, reads: str) -> list[str]:
    xml = shipped("pre_filing_notice")
    assert TIMER in xml
    with db.read() as session:
        found = definitions.validate(
            session, xml.replace(TIMER, f"working_days({reads}, 1)").encode(), ROOT / "forms"
        )
    return [p.message for p in found if p.severity == "error"]


def test_a_deadline_may_read_only_the_start_data_the_table_declares_for_its_process(tmp_path, db):
    assert _deadline_problems(db, "notice_received") == []
    undeclared = _deadline_problems(db, "performance_due")  # judgment_performance's, not this one's
    assert undeclared == [
        "期限表达式使用了流程数据中没有的字段：performance_due"
        "（应为本流程表单的字段、脚本赋值的变量或启动时提供的数据）"
    ]
    folder = copy_processes(tmp_path)
    edit_table(
        folder,
        '"notice_received_on", "notice_received"]',
        '"notice_received_on", "notice_received", "performance_due"]',
    )
    routing.use(folder)
    assert _deadline_problems(db, "performance_due") == []
