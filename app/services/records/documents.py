"""Rendering and storing the official documents a task asks for (``documents`` property)."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.documents import DOCUMENT_KINDS, DocumentError, document_title, render_document
from app.engine import SUBMITTED_PREFIX
from app.errors import InvalidInput, NotFound, ServiceError
from app.models import Case, Document, DocumentCounter, ProcessInstance, TaskRecord
from app.services.execution import lanes
from app.services.records import audit

# 发文字号 prefixes
DOC_NO_PREFIX = {
    "assignment_notice": "洪调交",
    "mediation_agreement": "洪调协",
    "termination_notice": "洪调终",
    "termination_letter": "洪调函",
    "legality_opinion": "合审",
    "supervision_suggestion": "洪司监建",
    "supervision_decision": "洪司监决",
    "self_correction_decision": "纠决",
    "pre_filing_notice_letter": "洪调通",
    "explanation_record": "洪调释",
    "special_report": "专报",
    "performance_report": "履报",
    "loss_review_report": "复盘",
    "rectification_report": "整改",
    "bureau_analysis_report": "洪司析",
    "interview_record": "约谈",
    "discipline_transfer_letter": "洪司移",
}
# the lane whose unit issues the document
ISSUER_LANE = {
    "assignment_notice": "区调处中心",
    "mediation_agreement": "区调处中心",
    "termination_notice": "区调处中心",
    "termination_letter": "区调处中心",
    "legality_opinion": "案涉行政机关",
    "supervision_suggestion": "区司法局",
    "supervision_decision": "区司法局",
    "self_correction_decision": "案涉行政机关",
    "pre_filing_notice_letter": "区调处中心",
    "explanation_record": "区调处中心",
    "special_report": "案涉行政机关",
    "performance_report": "案涉行政机关",
    "loss_review_report": "案涉行政机关",
    "rectification_report": "案涉行政机关",
    "bureau_analysis_report": "区司法局",
    "interview_record": "区政府",
    "discipline_transfer_letter": "区司法局",
}
# where the issuer depends on the process data: kind -> (field, value -> lane)
ISSUER_BY_FIELD = {
    "explanation_record": ("explainer_unit", {"agency": "案涉行政机关", "center": "区调处中心"}),
}
# a form field that already holds the document number
DOC_NO_FIELD = {
    "assignment_notice": "notice_no",
    "self_correction_decision": "decision_no",
    "discipline_transfer_letter": "transfer_no",
}
AGENCY_LANE = "案涉行政机关"
MAX_DOC_NO = 100


def _next_doc_no(session: Session, kind: str, year: int) -> str:
    counter = session.get(DocumentCounter, (kind, year))
    if counter is None:
        counter = DocumentCounter(kind=kind, year=year, last=0)
        session.add(counter)
    counter.last += 1
    return f"{DOC_NO_PREFIX.get(kind, '洪调')}〔{year}〕{counter.last}号"


def _lane_unit_name(session: Session, lane: str, data: dict[str, Any]) -> str:
    try:
        return lanes.owner(session, lane, data).name
    except ServiceError:
        return ""


def _unit_name(session: Session, kind: str, data: dict[str, Any]) -> str:
    lane = ISSUER_LANE.get(kind, "区调处中心")
    if kind in ISSUER_BY_FIELD:
        field, lanes_by_value = ISSUER_BY_FIELD[kind]
        lane = lanes_by_value.get(str(data.get(field, "")), lane)
    return _lane_unit_name(session, lane, data)


def case_fields(case: Case | None) -> dict[str, Any]:
    if case is None:
        return {}
    return {
        "court_case_no": case.case_no,
        "plaintiff": case.plaintiff,
        "agency_name": case.agency.name,
        "subject": case.subject,
        "claims": case.claims,
        "court": case.court,
        "received_on": case.received_on,
    }


def render_for_task(
    session: Session,
    instance: ProcessInstance,
    task: TaskRecord,
    kinds: list[str],
    data: dict[str, Any],
    next_deadline: dict[str, Any],
) -> list[Document]:
    """Render each kind from case and process data; store with its sha256 in this transaction.

    ``next_deadline``: what the documents say of the deadline this completion started
    (``reply_due``: its date, ``next_period``: its period as the diagram's clock counts it), so
    a document states exactly the period its diagram computes. The days the product recorded
    tasks as submitted come from the process data (``submitted_days``)."""
    case = session.get(Case, instance.case_id) if instance.case_id else None
    today = clock.local_now().date()
    stored = []
    for kind in kinds:
        if kind not in DOCUMENT_KINDS:
            raise InvalidInput(f"流程定义引用了未知的文书类型：{kind}")
        doc_no = str(data.get(DOC_NO_FIELD.get(kind, ""), "") or "") or _next_doc_no(
            session, kind, today.year
        )
        if len(doc_no) > MAX_DOC_NO:  # Document.doc_no; the form field it came from is named
            message = f"文号最多 {MAX_DOC_NO} 个字"
            raise InvalidInput(message, {DOC_NO_FIELD.get(kind, ""): [message]})
        fields = {
            **case_fields(case), **data, **next_deadline,
            "submitted_days": submitted_days(data),
        }  # fmt: skip
        fields.update(
            doc_no=doc_no, issued_on=today.isoformat(), issuer=_unit_name(session, kind, data)
        )
        # the unit that owns the agency lane now (a review unit, a responsible unit …)
        fields["agency_name"] = _lane_unit_name(session, AGENCY_LANE, data) or fields.get(
            "agency_name", ""
        )
        try:
            content = render_document(kind, fields)
        except DocumentError as exc:
            raise InvalidInput(f"文书生成失败：{exc}") from exc
        doc = Document(
            instance_id=instance.id,
            case_id=instance.case_id,
            task_record_id=task.id,
            kind=kind,
            name=f"{document_title(kind, fields)}（{doc_no}）",
            doc_no=doc_no,
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            created_at=clock.now(),
        )
        session.add(doc)
        audit.covers(session, doc)
        stored.append(doc)
    session.flush()
    return stored


def submitted_days(data: dict[str, Any]) -> dict[str, str]:
    """Task id -> the day the product recorded its latest submission."""
    return {
        key.removeprefix(SUBMITTED_PREFIX): str(event.get("on", ""))
        for key, event in data.items()
        if key.startswith(SUBMITTED_PREFIX) and isinstance(event, dict)
    }


def get(session: Session, document_id: int) -> Document:
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound("文书不存在")
    return doc
