"""Shared steps for service-level tests (mostly of mechanism 4)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.db import Database
from app.models import TaskRecord, User
from app.services.actor import Actor
from app.services.court import cases, messages
from app.services.execution import completion

CASE = {
    "court_case_no": "（2026）苏0813行诉前12号",
    "plaintiff": "张某某",
    "agency_unit": "GTZY",
    "subject": "不服土地征收补偿决定",
    "claims": "撤销补偿决定，重新作出",
    "court": "洪泽区人民法院",
}

FORM_DATA: dict[str, dict[str, Any]] = {
    "register_materials": {
        "materials_summary": "起诉状、证据目录、补偿决定书复印件",
        "notice_no": "洪调交〔2026〕7号",
    },
    "agency_reply": {
        "responsible_leader": "赵刚",
        "leader_title": "局长",
        "liaison": "刘洋",
        "liaison_phone": "0517-87221234",
        "preliminary_plan": "复核补偿标准，约谈当事人",
    },
    "schedule_mediation": {
        "mediation_time": "2026-10-14T09:30",
        "mediation_place": "区行政争议调处中心第一调解室",
        "parties_informed": True,
    },
    "record_outcome": {"outcome": "agreement", "outcome_summary": "双方就补偿标准达成一致"},
    "sign_agreement": {
        "agreement_terms": ["乙方按新标准补足补偿款", "甲方撤回行政诉讼"],
        "signed": True,
        "withdrawal_explained": True,
    },
    "terminate_mediation": {
        "termination_reason": "当事人拒绝继续调处",
        "materials_list": ["起诉状", "证据材料"],
        "served_all_parties": True,
        "materials_returned": True,
    },
}


def actor(db: Database, username: str) -> Actor:
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return Actor.of(user)


def bearer_headers(db: Database, *usernames: str) -> dict[str, dict[str, str]]:
    """An API token for each user, as the request headers that carry it."""
    from app.services.actor import SYSTEM
    from app.services.identity import org

    with db.write() as session:
        return {
            u: {"Authorization": f"Bearer {org.create_token(session, SYSTEM, u)}"}
            for u in usernames
        }


def register(db: Database, **overrides: str) -> int:
    with db.write() as session:
        registered = cases.register.within(session, actor(db, "center"), {**CASE, **overrides})
        return registered.instance.id


def open_task(db: Database, instance_id: int) -> TaskRecord:
    with db.read() as session:
        tasks = list(
            session.scalars(
                select(TaskRecord).where(
                    TaskRecord.instance_id == instance_id, TaskRecord.status == "open"
                )
            )
        )
    assert len(tasks) == 1, [t.bpmn_id for t in tasks]
    return tasks[0]


def complete(db: Database, username: str, task_id: int, data: dict[str, Any]) -> None:
    with db.write() as session:
        completion.complete_task(session, actor(db, username), task_id, data)


def step(db: Database, instance_id: int, username: str, expect: str, **changes: Any) -> TaskRecord:
    task = open_task(db, instance_id)
    assert task.bpmn_id == expect
    complete(db, username, task.id, {**FORM_DATA[expect], **changes})
    return task


def co_defendant_reviews(db: Database, case_no: str) -> list[TaskRecord]:
    """A lost case with two defendant agencies (GTZY, SCJG): one loss-review instance with two
    parallel ``write_review`` tasks, in id order."""
    court = actor(db, "court")
    with db.write() as session:
        messages.receive.within(session, court, {
            "name": "pre_filing_notice", "case_no": case_no, "idempotency_key": f"{case_no}a",
            "payload": {"plaintiff": "甲", "agency_unit": "GTZY", "subject": "x", "court": "法院"},
        })  # fmt: skip
        messages.receive.within(session, court, {
            "name": "judgment", "case_no": case_no, "idempotency_key": f"{case_no}b",
            "payload": {"outcome": "败诉", "effective_on": "2026-09-25",
                        "performance_deadline": "2026-10-30", "defendants": ["GTZY", "SCJG"]},
        })  # fmt: skip
    with db.read() as session:
        reviews = list(
            session.scalars(
                select(TaskRecord)
                .where(TaskRecord.bpmn_id == "write_review")
                .order_by(TaskRecord.id)
            )
        )
    assert len(reviews) == 2 and len({r.instance_id for r in reviews}) == 1
    return reviews
