"""The ways a user comes by an official document, for the content tests: a case the centre
registers, a message the court sends, a process a unit starts, the bureau's loss-rate
evaluation; then the open tasks of the real instance completed, one by one, by whoever may, with
a sample path's form data, on the days the scenario names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.models import Document, ProcessInstance, TaskRecord
from app.services.court import cases, messages
from app.services.execution import processes
from app.services.reporting import evaluation, stats
from tests.conftest import Clock
from tests.helpers import CASE, FORM_DATA, actor
from tests.samples import PathData, load
from tests.test_mechanisms_service import _open_tasks, _worker, complete

AGENCY_CODE = "GTZY"
COURT = "洪泽区人民法院"


@dataclass
class Rendered:
    document: Document
    deadline: TaskRecord | None = None  # the open task whose deadline the document states


@dataclass
class Env:
    db: Database
    settings: Settings
    clock: Clock

    def on(self, day: str) -> None:
        """The product's today (10:00 in Shanghai) from now on."""
        self.clock.set(f"{day}T10:00:00+08:00")

    # -- how an instance starts ------------------------------------------------------------------
    def register(self, case: dict[str, Any]) -> int:
        """The centre registers a court-referred case: mechanism 4 starts."""
        with self.db.write() as session:
            return cases.register.within(session, actor(self.db, "center"), case).instance.id

    def court(self, name: str, case_no: str, payload: dict[str, Any]) -> list[int]:
        """The court sends a message; the instances it started."""
        body = {"name": name, "case_no": case_no, "idempotency_key": f"{name}:{case_no}",
                "payload": payload}  # fmt: skip
        with self.db.write() as session:
            received = messages.receive.within(session, actor(self.db, "court"), body)
            return list(received.message.started)

    def notice(self, facts: dict[str, Any], received_on: str | None = None) -> list[int]:
        """The court's pre-filing notice for a case with these facts (a sample's start data)."""
        payload = {"plaintiff": facts["plaintiff"], "agency_unit": AGENCY_CODE,
                   "subject": facts["subject"], "claims": facts["claims"],
                   "court": facts["court"]}  # fmt: skip
        if received_on:
            payload["received_on"] = received_on
        return self.court("pre_filing_notice", facts["court_case_no"], payload)

    def start(self, process_id: str, username: str) -> int:
        return processes.start(self.db, actor(self.db, username), process_id, {}).id

    def evaluate(self, first: date, last: date) -> list[int]:
        """The bureau's loss-rate evaluation of a period; the interviews it started."""
        period = stats.Period(first, last)
        return evaluation.evaluate(self.db, actor(self.db, "bureau"), period).started

    # -- completing its tasks --------------------------------------------------------------------
    def drive(
        self,
        instance_id: int,
        steps: PathData,
        days: dict[str, str] | None = None,
        until: str | None = None,
        **changes: dict[str, Any],
    ) -> None:
        """Complete the instance's open tasks in order (each on its day in ``days``), up to the
        task ``until`` or the end; ``changes`` (bpmn id -> fields) amend what a task submits."""
        for _ in range(30):
            tasks = _open_tasks(self.db, instance_id)
            if not tasks or tasks[0].bpmn_id == until:
                break
            task = tasks[0]
            if days and task.bpmn_id in days:
                self.on(days[task.bpmn_id])
            data = {**steps.next(task.bpmn_id), **changes.get(task.bpmn_id, {})}
            complete(self.db, self.settings, _worker(task, self.db), task.id, data)
        with self.db.read() as session:
            status = session.get(ProcessInstance, instance_id).status
        if until is None:
            assert status == "completed", [t.bpmn_id for t in _open_tasks(self.db, instance_id)]
        else:
            assert [t.bpmn_id for t in _open_tasks(self.db, instance_id)][:1] == [until]

    # -- what it produced ------------------------------------------------------------------------
    def document(self, instance_id: int, kind: str) -> Document:
        with self.db.read() as session:
            found = list(
                session.scalars(
                    select(Document).where(
                        Document.instance_id == instance_id, Document.kind == kind
                    )
                )
            )
        assert len(found) == 1, f"{kind}: {len(found)} documents rendered"
        return found[0]

    def open_task(self, instance_id: int, bpmn_id: str) -> TaskRecord:
        (task,) = [t for t in _open_tasks(self.db, instance_id) if t.bpmn_id == bpmn_id]
        return task

    def instance_of(self, started: list[int], process_id: str) -> int:
        with self.db.read() as session:
            (found,) = [
                i for i in started if session.get(ProcessInstance, i).process_id == process_id
            ]
        return found


# -- one path per kind of document: each function drives it and returns the document -------------
MEDIATION_CASE = {**CASE, "received_on": "2026-09-29"}
MEDIATION_DAYS = {
    "agency_reply": "2026-10-09", "schedule_mediation": "2026-10-10",
    "record_outcome": "2026-10-14", "sign_agreement": "2026-10-14",
    "terminate_mediation": "2026-10-14",
}  # fmt: skip


def _mediation(env: Env, outcome: str, kind: str) -> Rendered:
    instance_id = env.register(MEDIATION_CASE)
    outcome_data = {**FORM_DATA["record_outcome"], "outcome": outcome}
    steps = PathData({**FORM_DATA, "record_outcome": outcome_data})
    if kind == "assignment_notice":
        env.drive(instance_id, steps, until="agency_reply")
        return Rendered(env.document(instance_id, kind), env.open_task(instance_id, "agency_reply"))
    signers = {"authorised_persons": "张某某本人；刘洋（乙方授权代表）"}
    env.drive(instance_id, steps, MEDIATION_DAYS, sign_agreement=signers)
    return Rendered(env.document(instance_id, kind))


def agreement(env: Env, kind: str) -> Rendered:
    return _mediation(env, "agreement", kind)


def termination(env: Env, kind: str) -> Rendered:
    return _mediation(env, "termination", kind)


def legality(env: Env, kind: str) -> Rendered:
    instance_id = env.start("legality_review", "gtzy")
    steps = PathData(load("legality_review")["paths"]["consulted_then_illegal"])
    days = {"adviser_review": "2026-10-08", "joint_consultation": "2026-10-09",
            "reviewer_opinion": "2026-10-10"}  # fmt: skip
    env.drive(instance_id, steps, days)
    return Rendered(env.document(instance_id, kind))


def supervision(env: Env, kind: str) -> Rendered:
    path = "suggestion_accepted" if kind == "supervision_suggestion" else (
        "decision_rejected_once_then_accepted")  # fmt: skip
    instance_id = env.start("enforcement_supervision", "bureau")
    steps = PathData(load("enforcement_supervision")["paths"][path])
    days = {"issue_suggestion": "2026-10-09", "issue_decision": "2026-10-09"}
    env.drive(instance_id, steps, days, until="answer_rectification")
    answer = env.open_task(instance_id, "answer_rectification")
    return Rendered(env.document(instance_id, kind), answer)


def pre_filing(env: Env, kind: str) -> Rendered:
    facts = load("pre_filing_notice")["start"]
    instance_id = env.instance_of(env.notice(facts, received_on="2026-09-29"), "pre_filing_notice")
    env.drive(instance_id, PathData(load("pre_filing_notice")["paths"]["notified_in_time"]))
    return Rendered(env.document(instance_id, kind))


def explanation(env: Env, kind: str) -> Rendered:
    sample = load("post_judgment_explanation")
    env.notice(sample["start"])
    env.on("2026-10-20")
    started = env.court("judgment", sample["start"]["court_case_no"], {
        "outcome": "驳回起诉", "effective_on": "2026-10-16", "defendants": ["GTZY"]})  # fmt: skip
    instance_id = env.instance_of(started, "post_judgment_explanation")
    steps = PathData(sample["paths"]["agency_explains_accepted"])
    env.drive(instance_id, steps, {"explain_and_guide_agency": "2026-10-22"},
              explain_and_guide_agency={"explained_on": "2026-10-22"})  # fmt: skip
    return Rendered(env.document(instance_id, kind))


def in_trial(env: Env, kind: str) -> Rendered:
    sample = load("in_trial_resolution")
    env.notice(sample["start"])
    env.on("2026-10-09")
    started = env.court("loss_warning_letter", sample["start"]["court_case_no"], {
        "letter_no": sample["start"]["warning_letter_no"],
        "reason": sample["start"]["warning_reason"], "served_on": "2026-10-09"})  # fmt: skip
    instance_id = env.instance_of(started, "in_trial_resolution")
    days = {"decide_correction": "2026-10-10", "issue_decision": "2026-10-12",
            "record_measures": "2026-10-20", "write_special_report": "2026-10-26",
            "leader_review": "2026-10-28"}  # fmt: skip
    env.drive(instance_id, PathData(sample["paths"]["warning_at_start_unresolved_reported"]), days)
    return Rendered(env.document(instance_id, kind))


def performance(env: Env, kind: str) -> Rendered:
    sample = load("judgment_performance")
    facts = sample["start"]
    env.on("2026-09-10")
    env.notice(facts)
    env.on("2026-09-30")
    started = env.court("judgment", facts["court_case_no"], {
        "outcome": "败诉", "effective_on": facts["effective_on"], "defendants": ["GTZY"],
        "performance_deadline": facts["performance_deadline"], "orders_new_act": False,
    })  # fmt: skip
    instance_id = env.instance_of(started, "judgment_performance")
    days = {"perform_and_report": "2026-10-15", "confirm_performance": "2026-10-16"}
    env.drive(instance_id, PathData(sample["paths"]["plain_performance"]), days)
    return Rendered(env.document(instance_id, kind))


def _lost(env: Env, process_id: str) -> int:
    """A case the court notified on 09-10 and judged lost on 09-30; the instance of the process
    the loss started."""
    facts = load(process_id)["start"]
    env.on("2026-09-10")
    env.notice(facts)
    env.on("2026-09-30")
    started = env.court("judgment", facts["court_case_no"], {
        "outcome": "败诉", "effective_on": "2026-09-25", "performance_deadline": "2026-10-30",
        "defendants": ["GTZY"], "served_on": {"GTZY": "2026-09-29"},
    })  # fmt: skip
    return env.instance_of(started, process_id)


def review(env: Env, kind: str) -> Rendered:
    instance_id = _lost(env, "loss_review")
    days = {"write_review": "2026-10-09", "approve_review": "2026-10-12",
            "submit_rectification": "2026-10-20", "bureau_analysis": "2026-10-26",
            "bureau_head_approval": "2026-10-27", "government_receipt": "2026-10-30"}  # fmt: skip
    env.drive(instance_id, PathData(load("loss_review")["paths"]["single_unit"]), days)
    return Rendered(env.document(instance_id, kind))


def fault(env: Env, kind: str) -> Rendered:
    instance_id = _lost(env, "fault_determination")
    days = {"determine_fault": "2026-10-09", "issue_transfer": "2026-10-12"}
    steps = PathData(load("fault_determination")["paths"]["fault_transferred"])
    env.drive(instance_id, steps, days, issue_transfer={"transfer_on": "2026-10-12"})
    return Rendered(env.document(instance_id, kind))


def interview(env: Env, kind: str) -> Rendered:
    """Three of the agency's cases concluded in the third quarter, two of them lost: the
    bureau's evaluation finds its rate above the threshold and a district leader interviews."""
    for n, outcome in ((1, "败诉"), (2, "败诉"), (3, "胜诉")):
        facts = {"court_case_no": f"（2026）苏0813行初{30 + n}号", "plaintiff": f"原告{n}",
                 "subject": "行政处罚", "claims": "撤销处罚决定", "court": COURT}  # fmt: skip
        env.notice(facts)
        env.court("judgment", facts["court_case_no"], {
            "outcome": outcome, "effective_on": "2026-09-28", "defendants": ["GTZY"],
            "performance_deadline": "2026-10-30"})  # fmt: skip
    env.on("2026-10-09")
    (instance_id,) = env.evaluate(date(2026, 7, 1), date(2026, 9, 30))
    days = {"record_interview": "2026-10-12", "make_statement": "2026-10-20"}
    env.drive(instance_id, PathData(load("loss_rate_interview")["paths"]["with_statement"]), days)
    return Rendered(env.document(instance_id, kind))
