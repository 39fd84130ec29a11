"""The stories (``stories.Office.story``): what happens to one matter, from intake to its end.

Each function drives the services as the people and the court would; ``running`` stops it with
work still open. Weights (``CATALOGUE``) say how often each story occurs among the copies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.models import ProcessDefinition
from app.services.actor import SYSTEM
from app.services.court import cases, messages, reconsiderations
from app.services.design import definitions
from app.services.execution import instances, processes
from scale.stories import AGENCIES, Forms, Office, Story
from tests.samples import load

PLAINTIFFS = ("张某某", "李某某", "王某某", "某某食品有限公司", "赵某", "某某置业有限公司")
SUBJECTS = ("不服土地征收补偿决定", "行政处罚", "房屋征收补偿决定", "政府信息公开答复", "行政许可")


def _day(office: Office, days_ago: int = 0) -> str:
    return (office.now - timedelta(days=days_ago)).date().isoformat()


def _send(office: Office, name: str, case_no: str, payload: dict) -> None:
    key = f"{case_no}-{name}-{len(office.stories)}"
    messages.receive(office.db, office.actor("court"), {
        "name": name, "case_no": case_no, "idempotency_key": key, "payload": payload,
    })  # fmt: skip


def _notice(office: Office, story: Story, agency: str) -> int:
    """预立案信息通报 for a new case (starts mechanism 5)."""
    story.case_no = office.case_no()
    _send(office, "pre_filing_notice", story.case_no, {
        "plaintiff": office.random.choice(PLAINTIFFS), "agency_unit": agency,
        "subject": office.random.choice(SUBJECTS), "court": "洪泽区人民法院",
        "claims": "撤销被诉行政行为",
    })  # fmt: skip
    return office.case_id(story.case_no)


def _judgment(office: Office, story: Story, outcome: str, defendants: list[str]) -> bool:
    """The court's judgment some weeks later; False for a running story whose judgment would
    come after the office's present (it stops before)."""
    wait = timedelta(days=office.random.choice((20, 40, 75)))
    if story.running and office.now + wait >= office.present:
        return False
    office.at(office.now + wait)
    payload = {
        "outcome": outcome, "effective_on": _day(office, 2), "defendants": defendants,
        "performance_deadline": (office.now + timedelta(days=30)).date().isoformat(),
    }  # fmt: skip
    _send(office, "judgment", story.case_no, payload)
    return True


def _stop(office: Office, story: Story, steps: int) -> dict:
    """A running story does ``steps`` and never works past the office's present."""
    return {"steps": steps, "until": office.present} if story.running else {}


def _register(office: Office, story: Story, agency: str) -> int:
    """The center registers a court-referred case (starts mechanism 4)."""
    story.case_no = office.case_no()
    registered = cases.register(office.db, office.actor("center"), {
        "court_case_no": story.case_no, "plaintiff": office.random.choice(PLAINTIFFS),
        "agency_unit": agency, "subject": office.random.choice(SUBJECTS),
        "claims": "撤销被诉行政行为", "court": "洪泽区人民法院",
    })  # fmt: skip
    return registered.case.id


def mediated_and_withdrawn(office: Office, story: Story) -> None:
    """Mechanism 4: the court refers a case, the center mediates, the plaintiff withdraws."""
    case_id = _register(office, story, office.random.choice(AGENCIES))
    office.work(Forms(mediation="agreement"), case_id=case_id, **_stop(office, story, 2))
    if not story.running:
        _send(office, "case_closed_without_judgment", story.case_no, {"outcome": "撤诉"})


def mediation_failed_then_won(office: Office, story: Story) -> None:
    agency = office.random.choice(AGENCIES)
    case_id = _register(office, story, agency)
    office.work(Forms(mediation="termination"), case_id=case_id, **_stop(office, story, 2))
    if story.running:
        return
    _judgment(office, story, "胜诉", [agency])


def lost_after_notice(office: Office, story: Story) -> None:
    """Mechanisms 5, 7, 9, 10: a pre-filing notice, a lost judgment and all it starts."""
    agency = office.random.choice(AGENCIES)
    case_id = _notice(office, story, agency)
    office.work(Forms(), case_id=case_id, **_stop(office, story, 3))
    if not _judgment(office, story, "败诉", [agency]):
        return
    paths = {"fault_determination": office.random.choice(("no_fault", "fault_transferred"))}
    office.work(Forms(paths), case_id=case_id, **_stop(office, story, 3))


def warned_in_trial_then_lost(office: Office, story: Story) -> None:
    """Mechanism 6 with a loss warning and long in-trial work, then co-defendants lose."""
    first, second = office.random.sample(AGENCIES, 2)
    case_id = _notice(office, story, first)
    office.work(Forms(), case_id=case_id, **_stop(office, story, 3))
    office.later(24 * 10)
    _send(office, "loss_warning_letter", story.case_no, {
        "letter_no": f"洪法预〔2026〕{len(office.stories)}号",
        "reason": "认定事实不清，存在败诉风险",
    })  # fmt: skip
    rounds = office.random.randint(10, 40)  # a trial of months: a record every week or two
    forms = Forms({"in_trial_resolution": "warning_at_start_unresolved_reported"},
                  repeat={"record_resolution_work": rounds})  # fmt: skip
    office.work(forms, case_id=case_id, **_stop(office, story, rounds))
    if story.running:
        return
    _judgment(office, story, "部分败诉", [first, second])
    office.work(Forms({"loss_review": "co_defendants"}), case_id=case_id, steps=80)


def dismissed_and_explained(office: Office, story: Story) -> None:
    """Mechanism 8: dismissed after failed resolution; the law is explained."""
    agency = office.random.choice(AGENCIES)
    case_id = _notice(office, story, agency)
    office.work(Forms(), case_id=case_id)
    _judgment(office, story, "驳回起诉", [agency])
    office.work(Forms(), case_id=case_id)


def government_lost(office: Office, story: Story) -> None:
    agency = office.random.choice(AGENCIES)
    case_id = _notice(office, story, agency)
    office.work(Forms(), case_id=case_id)
    _judgment(office, story, "败诉", ["QZF", agency])
    paths = {"loss_review": "government_and_agency_lost", "judgment_performance": "government_lost"}
    office.work(Forms(paths), case_id=case_id, steps=100)


def reconsideration_corrected(office: Office, story: Story) -> None:
    """行政复议被纠错: the decision corrects an agency's act; its review follows."""
    story.case_no = f"洪政复决〔2026〕T{len(office.stories):04d}号"
    recorded = reconsiderations.record(office.db, office.actor("bureau"), {
        "decision_no": story.case_no, "unit": office.random.choice(AGENCIES),
        "applicant": office.random.choice(PLAINTIFFS), "subject": office.random.choice(SUBJECTS),
        "outcome": office.random.choice(("撤销", "变更", "确认违法")),
        "decided_on": _day(office, 3), "received_on": _day(office, 1),
    })  # fmt: skip
    office.work(Forms({"loss_review": "approval_returned_once"}), case_id=recorded.case.id,
                **_stop(office, story, 3))  # fmt: skip


def _standalone(process_id: str, path: str, starter: str) -> Callable[[Office, Story], None]:
    """Mechanisms 1–3 (and the loss-rate interview): started by a unit, not by a case."""

    def body(office: Office, story: Story) -> None:
        sample = load(process_id)
        if process_id == "loss_rate_interview":  # started by the evaluation, with its data
            with office.db.write() as session:
                definition = definitions.latest_definition(session, process_id)
                data = {
                    **sample["start"],
                    "lane_owners": {"区调处中心": "TCZX", **sample["lane_owners"]},
                }
                instance_id = instances.start(session, SYSTEM, definition, data).id
        else:
            instance_id = processes.start(office.db, office.actor(starter), process_id, {}).id
        office.work(Forms({process_id: path}), instance_ids=[instance_id],
                    **_stop(office, story, 1))  # fmt: skip

    return body


@dataclass(frozen=True)
class Kind:
    name: str
    body: Callable[[Office, Story], None]
    weight: float  # relative frequency among the copies
    runs: bool = True  # may be among the running work


CATALOGUE = [
    Kind("mediated_and_withdrawn", mediated_and_withdrawn, 6),
    Kind("mediation_failed_then_won", mediation_failed_then_won, 5, runs=False),
    Kind("lost_after_notice", lost_after_notice, 3),
    Kind("warned_in_trial_then_lost", warned_in_trial_then_lost, 3),
    Kind("dismissed_and_explained", dismissed_and_explained, 3, runs=False),
    Kind("government_lost", government_lost, 1, runs=False),
    Kind("reconsideration_corrected", reconsideration_corrected, 3),
    Kind("legality_review", _standalone("legality_review", "two_rounds", "gtzy"), 4),
    Kind("legality_consulted", _standalone("legality_review", "consulted_then_illegal", "scjg"), 2),
    Kind(
        "enforcement_decision",
        _standalone("major_enforcement_decision", "failed_then_passed", "gtzy"),
        4,
    ),  # fmt: skip
    Kind(
        "supervision",
        _standalone("enforcement_supervision", "decision_rejected_once_then_accepted", "bureau"),
        2,
    ),  # fmt: skip
    Kind(
        "self_correction",
        _standalone("self_correction", "mandatory_declined_then_corrected", "gtzy"),
        2,
    ),  # fmt: skip
    Kind(
        "loss_rate_interview",
        _standalone("loss_rate_interview", "with_statement", "leader"),
        0.3,
        runs=False,
    ),  # fmt: skip
]


def definition_ids(office: Office) -> dict[str, int]:
    with office.db.read() as session:
        return dict(session.execute(select(ProcessDefinition.process_id, ProcessDefinition.id)))
