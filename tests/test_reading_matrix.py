"""Reading as a matrix: every deployed process × every user task × every demo user (every role
of every unit in ``app.demo``), on real instances where every task has submitted data, through
the instance page, ``GET /api/v1/instances/{id}``, the dossier, the case timeline and the
document and attachment downloads.

What each task may be read by is written here by hand, from the mechanisms (who a step is for,
who supervises it, whose internal records it holds), not derived from the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from lxml import etree
from sqlalchemy import select

from app.config import ROOT
from app.demo import UNITS, USERS
from app.engine import called_elements
from app.models import Case, TaskRecord, Unit
from tests.reading import Done, Run, Viewer, path_names, path_tasks, run_path

pytestmark = pytest.mark.both_databases

# Who reads a task's content, besides auditors (everything) and whoever completed it:
# "own" every user of the unit that owned the task; "agencies" every user of an agency of the
# instance (the case's agency, and each agency that owned one of its tasks); "jw" every user of
# the discipline unit; any other name is a role, in whatever unit.
SUPERVISORS = frozenset({"center", "bureau", "bureau_head", "leader"})
AGENCY_WORK = frozenset({"own"}) | SUPERVISORS  # not another agency of the same instance
SHARED = frozenset({"own", "agencies"}) | SUPERVISORS  # what the center/bureau/government do
LOSING_UNITS_REVIEW = frozenset({"own", "bureau", "bureau_head", "leader"})  # mechanism 9
BUREAU_ANALYSIS = frozenset({"bureau", "bureau_head", "leader"})
DISCIPLINE = frozenset({"bureau", "bureau_head", "jw"})  # mechanism 10: findings, feedback
SELF_CORRECTION = {"initiate": AGENCY_WORK, "decide_correction": AGENCY_WORK,
                   "issue_decision": AGENCY_WORK}  # fmt: skip

EXPECTED: dict[str, dict[str, frozenset[str]]] = {
    "pre_litigation_mediation": {
        "register_materials": SHARED, "agency_reply": AGENCY_WORK,
        "schedule_mediation": SHARED, "record_outcome": SHARED, "sign_agreement": SHARED,
        "terminate_mediation": SHARED,
    },
    "pre_filing_notice": {"notify_agency": SHARED, "prepare_defense": AGENCY_WORK},
    "in_trial_resolution": {
        "assign_responsible": AGENCY_WORK, "record_resolution_work": AGENCY_WORK,
        "record_measures": AGENCY_WORK, "write_special_report": AGENCY_WORK,
        "leader_review": SHARED, **SELF_CORRECTION,
    },
    "judgment_performance": {
        "choose_acting_unit": SHARED, "hear_court_opinion": SHARED, "guide_performance": SHARED,
        "perform_and_report": AGENCY_WORK, "confirm_performance": SHARED,
    },
    "post_judgment_explanation": {
        "designate_explainer": SHARED, "explain_and_guide": SHARED,
        "explain_and_guide_agency": AGENCY_WORK, "follow_up": SHARED,
    },
    "legality_review": {
        "submit_matter": AGENCY_WORK, "adviser_review": AGENCY_WORK,
        "joint_consultation": SHARED, "reviewer_opinion": AGENCY_WORK,
        "amend_matter": AGENCY_WORK,
    },
    "major_enforcement_decision": {
        "draft_decision": AGENCY_WORK, "legal_review": AGENCY_WORK,
        "make_decision": AGENCY_WORK, "revise_draft": AGENCY_WORK,
    },
    "self_correction": SELF_CORRECTION,
    "enforcement_supervision": {
        "supervise": SHARED, "issue_suggestion": SHARED, "issue_decision": SHARED,
        "answer_rectification": AGENCY_WORK, "review_answer": SHARED,
    },
    "loss_rate_interview": {
        "schedule_interview": SHARED, "record_interview": SHARED,
        "make_statement": AGENCY_WORK,
    },
    "loss_review": {
        "choose_acting_unit": SHARED,
        "write_review": LOSING_UNITS_REVIEW, "approve_review": LOSING_UNITS_REVIEW,
        "submit_rectification": LOSING_UNITS_REVIEW,
        "bureau_analysis": BUREAU_ANALYSIS, "bureau_head_approval": BUREAU_ANALYSIS,
        "government_receipt": SHARED,
    },
    "fault_determination": {"determine_fault": DISCIPLINE, "issue_transfer": DISCIPLINE},
    "discipline_feedback": {"record_feedback": DISCIPLINE},
}  # fmt: skip
# paths run whatever else covers their tasks: two agencies in one instance
MUST_RUN = {"loss_review": ["co_defendants"]}
# who may open an instance at all (unchanged by the reading rule): these roles, a unit with a
# task in it, and the case's agency
OPENS_EVERY_INSTANCE = {"center", "bureau", "bureau_head", "leader", "auditor", "admin",
                        "process_owner"}  # fmt: skip
KIND = {code: kind for code, _, kind in UNITS}
PROCESSES = sorted(p.stem for p in (ROOT / "processes").glob("*.bpmn"))
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def user_tasks(process_id: str) -> set[str]:
    """The user tasks a diagram runs, its called processes' included (read from the file)."""
    content = (ROOT / "processes" / f"{process_id}.bpmn").read_bytes()
    found = {t.get("id") for t in etree.fromstring(content).iter(f"{BPMN}userTask")}
    for callee in called_elements(content):
        found |= user_tasks(callee)
    return found


def covering_paths(process_id: str) -> list[str]:
    """Sample paths that together complete every user task (greedy, after ``MUST_RUN``)."""
    chosen = list(MUST_RUN.get(process_id, []))
    covered = set().union(*(path_tasks(process_id, p) for p in chosen)) if chosen else set()
    wanted = user_tasks(process_id)
    while not wanted <= covered:
        best = max(path_names(process_id), key=lambda p: len(path_tasks(process_id, p) - covered))
        if not path_tasks(process_id, best) - covered:
            raise AssertionError(f"no sample path reaches {sorted(wanted - covered)}")
        chosen.append(best)
        covered |= path_tasks(process_id, best)
    return chosen


@dataclass
class Instance:
    """What the test knows of a run's instance and case (from the database, not the rule)."""

    run: Run
    units: set[str]  # units with a task in the instance
    agencies: set[str]
    case_agency: str | None
    case_units: set[str]  # units with a task anywhere in the case


def _instance(db, run: Run) -> Instance:
    with db.read() as session:
        codes = dict(session.execute(select(Unit.id, Unit.code)).all())
        units = {
            codes[u]
            for u in session.scalars(
                select(TaskRecord.unit_id).where(TaskRecord.instance_id == run.instance_id)
            )
        }
        case_agency, case_units = None, set()
        if run.case_id is not None:
            case = session.get(Case, run.case_id)
            case_agency = codes[case.agency_unit_id]
            case_units = {
                codes[u]
                for u in session.scalars(
                    select(TaskRecord.unit_id).where(TaskRecord.case_id == run.case_id)
                )
            }
    agencies = {u for u in units if KIND[u] == "agency"} | ({case_agency} - {None})
    return Instance(run, units, agencies, case_agency, case_units)


def opens(user: tuple[str, str, str], inst: Instance) -> bool:
    _, unit, role = user
    if role == "court":
        return False
    return role in OPENS_EVERY_INSTANCE or unit in inst.units or unit == inst.case_agency


def reads(user: tuple[str, str, str], done: Done, inst: Instance) -> bool:
    username, unit, role = user
    if role == "auditor":
        return True
    if not opens(user, inst):
        return False
    if username == done.completed_by:
        return True
    for reader in EXPECTED[done.process_id][done.bpmn_id]:
        if (
            (reader == "own" and unit == done.unit)
            or (reader == "agencies" and unit in inst.agencies)
            or (reader == "jw" and KIND[unit] == "discipline")
            or reader == role
        ):
            return True
    return False


def sees_case(user: tuple[str, str, str], inst: Instance) -> bool:
    _, unit, role = user
    if role == "court":
        return False
    return role in OPENS_EVERY_INSTANCE or unit in inst.case_units or unit == inst.case_agency


def _problems(viewer: Viewer, user: tuple[str, str, str], inst: Instance) -> list[tuple]:
    """Where what the user is shown of one instance differs from the table."""
    username, _, role = user
    run, found = inst.run, []
    expected = {d.task_id: reads(user, d, inst) for d in run.done}
    documents = {i for d in run.done if expected[d.task_id] for i in d.documents}
    refused = 403 if role == "court" else 404
    status = 200 if opens(user, inst) else refused
    for surface in (viewer.page, viewer.instance_json, viewer.dossier):
        seen = surface(run.instance_id)
        where = (username, run.process_id, run.path, surface.__name__)
        if seen.status != status:
            found.append((*where, "status", seen.status))
            continue
        for done in run.done:
            if (done.marker in seen.text) != expected[done.task_id]:
                found.append((*where, done.bpmn_id, done.unit, expected[done.task_id]))
        if seen.documents != documents:
            found.append((*where, "documents", sorted(seen.documents), sorted(documents)))
    if run.case_id is not None:
        seen = viewer.case_json(run.case_id)
        if seen.status != (200 if sees_case(user, inst) else refused):
            found.append((username, run.process_id, run.path, "case", seen.status))
        elif seen.status == 200 and seen.documents != documents:
            found.append((username, run.process_id, "case documents", sorted(seen.documents)))
    for done in run.done:
        want = (200, 200) if expected[done.task_id] else (refused, refused)
        for document_id in done.documents:
            if viewer.document(document_id) != want:
                found.append((username, run.process_id, done.bpmn_id, "document", want))
        for attachment_id in done.attachments:
            if viewer.attachment(attachment_id) != want:
                found.append((username, run.process_id, done.bpmn_id, "attachment", want))
    return found


def test_every_task_of_every_process_is_read_by_whom_the_table_says(app, db, settings):
    """One test for all processes, so each demo user logs in once (an argon2 check is slow)."""
    instances = []
    for process_id in PROCESSES:
        tasks = user_tasks(process_id)
        assert set(EXPECTED[process_id]) == tasks, f"the table must name every task of {process_id}"
        runs = [run_path(db, settings, process_id, path) for path in covering_paths(process_id)]
        assert {d.bpmn_id for r in runs for d in r.done} == tasks, process_id
        instances += [_instance(db, r) for r in runs]
    problems = []
    for username, unit, role, _ in USERS:
        viewer = Viewer(app, db, username)
        for inst in instances:
            problems += _problems(viewer, (username, unit, role), inst)
    assert not problems, "\n".join(map(str, problems))
