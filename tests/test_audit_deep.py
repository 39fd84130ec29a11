"""``huajie audit verify --deep``: a row forged in the audited tables (task data, instance
state, case outcome, document, attachment file) is named, and nothing untouched is."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from app.cli import main
from app.models import Attachment, Case, Document, TaskRecord
from app.services.court import messages, reconsiderations
from app.services.execution import deadlines, timer_pass
from app.services.records import attachments
from tests.helpers import actor, co_defendant_reviews, open_task, register, step

pytestmark = pytest.mark.both_databases


def _deep():
    return CliRunner().invoke(main, ["audit", "verify", "--deep"], catch_exceptions=False)


def _edit(db, sql: str, **params) -> None:
    """A change made in the database behind the application's back."""
    with db.write_engine.connect() as conn:
        conn.execute(text(sql), params)
        conn.commit()


@pytest.fixture
def history(db, clock, settings):
    """Many kinds of state change: a mediation to its agreement (documents), a deadline
    suspended, a timer fired, judgments (case outcomes, started processes), one corrected to a
    win (the processes the loss started cancelled), an upload."""
    done = register(db)
    for expect, user in [
        ("register_materials", "center"),
        ("agency_reply", "gtzy"),
        ("schedule_mediation", "center"),
        ("record_outcome", "center"),
        ("sign_agreement", "center"),
    ]:
        step(db, done, user, expect)
    waiting = register(db, court_case_no="（2026）苏0813行诉前20号")
    step(db, waiting, "center", "register_materials")
    with db.write() as session:
        deadlines.suspend.within(
            session, actor(db, "center"), open_task(db, waiting).id, "当事人申请"
        )
    late = register(db, court_case_no="（2026）苏0813行诉前21号")
    step(db, late, "center", "register_materials")
    clock.set("2026-10-20T10:00:00+08:00")
    assert timer_pass.run_pass(db).fired == 1
    co_defendant_reviews(db, "（2026）苏0813行初5号")
    corrected = "（2026）苏0813行初6号"
    for key, name, payload in [
        ("6a", "pre_filing_notice",
         {"plaintiff": "乙", "agency_unit": "SCJG", "subject": "y", "court": "法院"}),
        ("6b", "judgment", {"outcome": "败诉", "effective_on": "2026-09-25",
                            "performance_deadline": "2026-10-30", "defendants": ["SCJG"]}),
        # corrected to a win: what the loss started is withdrawn
        ("6c", "judgment", {"outcome": "胜诉", "effective_on": "2026-09-25",
                            "defendants": ["SCJG"], "correction": True,
                            "correction_reason": "误录裁判结果"}),
    ]:  # fmt: skip
        messages.receive(db, actor(db, "court"), {
            "name": name, "case_no": corrected, "idempotency_key": key, "payload": payload,
        })  # fmt: skip
    reconsiderations.record(db, actor(db, "bureau"), {
        "decision_no": "洪政复决〔2026〕12号", "unit": "GTZY", "applicant": "某某公司",
        "subject": "不服行政处罚决定", "outcome": "撤销", "decided_on": "2026-10-09",
        "received_on": "2026-10-12",
    })  # fmt: skip
    with db.write() as session:
        attachments.store.within(
            session, actor(db, "gtzy"), settings.data_dir / "attachments",
            attachments.Upload("材料.pdf", b"%PDF-1.4 material"),
        )  # fmt: skip
    return done


def test_an_untouched_database_passes_deep_verification(history):
    result = _deep()
    assert result.exit_code == 0, result.output
    assert "审计链完整" in result.output
    assert "深度比对：附件 1、案件 6、文书 4、流程实例 13、任务 7" in result.output
    assert "未覆盖" not in result.output  # a database that never ran without the key


def test_task_data_edited_after_the_fact_is_named(db, history):
    with db.read() as session:
        task = session.scalar(
            select(TaskRecord).where(
                TaskRecord.bpmn_id == "agency_reply", TaskRecord.instance_id == history
            )
        )
    _edit(
        db,
        "UPDATE tasks SET data = :d WHERE id = :id",
        d='{"preliminary_plan": "改过的方案"}',
        id=task.id,
    )
    result = _deep()
    assert result.exit_code == 1
    assert (
        f"任务 #{task.id} 的提交数据（“{task.name}”，流程实例 #{history}）与审计事件"
        in result.output
    )
    assert "在数据库中被改动" in result.output


def test_a_forged_completion_is_named(db, history):
    with db.read() as session:
        task = session.scalar(select(TaskRecord).where(TaskRecord.status == "open").limit(1))
    _edit(db, "UPDATE tasks SET status = 'completed', data = '{}' WHERE id = :id", id=task.id)
    result = _deep()
    assert result.exit_code == 1
    assert f"任务 #{task.id}（“{task.name}”，流程实例 #{task.instance_id}）已办结" in result.output
    assert "没有它的办结事件" in result.output


def test_a_case_outcome_instance_state_and_document_forged_are_each_named(db, history, settings):
    with db.read() as session:
        case = session.scalar(select(Case).where(Case.outcome == "败诉"))
        document = session.scalar(select(Document).limit(1))
        stored = session.scalar(select(Attachment).limit(1))
    _edit(db, "UPDATE cases SET outcome = '胜诉' WHERE id = :id", id=case.id)
    _edit(db, "UPDATE process_instances SET status = 'completed' WHERE id = :id", id=history + 1)
    _edit(db, "UPDATE documents SET content = :c WHERE id = :id", c=b"PK forged", id=document.id)
    (settings.data_dir / "attachments" / stored.storage_name).write_bytes(b"%PDF-1.4 other")
    result = _deep()
    assert result.exit_code == 1
    assert f"案件 #{case.id} 的内容与审计事件" in result.output
    assert f"流程实例 #{history + 1} 的内容与审计事件" in result.output
    assert f"文书 #{document.id}（{document.name}）的内容与登记的 sha256 不符" in result.output
    assert f"附件 #{stored.id}（材料.pdf）的文件与登记的 sha256 不符" in result.output


def test_a_deleted_row_the_chain_vouches_for_is_named(db, history):
    with db.read() as session:
        document = session.scalar(select(Document).limit(1))
    _edit(db, "DELETE FROM documents WHERE id = :id", id=document.id)
    result = _deep()
    assert result.exit_code == 1
    assert f"文书 #{document.id} 记录在审计事件" in result.output and "被删除" in result.output
