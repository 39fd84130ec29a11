"""Rendering and storing the official documents a task asks for (``documents`` property)."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.documents import DOCUMENT_KINDS, DocumentError, render_document
from app.models import Case, Document, DocumentCounter, ProcessInstance, TaskRecord
from app.services.errors import InvalidInput, NotFound

# 发文字号 prefixes: 洪泽区行政争议调处中心 documents.
DOC_NO_PREFIX = {
    "assignment_notice": "洪调交",
    "mediation_agreement": "洪调协",
    "termination_notice": "洪调终",
    "termination_letter": "洪调函",
}
ISSUER = {kind: "洪泽区行政争议调处中心" for kind in DOC_NO_PREFIX}
DOC_NO_FIELD = {"assignment_notice": "notice_no"}


def _next_doc_no(session: Session, kind: str, year: int) -> str:
    counter = session.get(DocumentCounter, (kind, year))
    if counter is None:
        counter = DocumentCounter(kind=kind, year=year, last=0)
        session.add(counter)
    counter.last += 1
    return f"{DOC_NO_PREFIX.get(kind, '洪调')}〔{year}〕{counter.last}号"


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
    next_due: dict[str, str],
) -> list[Document]:
    """Render each kind from case and process data; store with its sha256 in this transaction."""
    case = session.get(Case, instance.case_id) if instance.case_id else None
    today = clock.local_now().date()
    stored = []
    for kind in kinds:
        if kind not in DOCUMENT_KINDS:
            raise InvalidInput(f"流程定义引用了未知的文书类型：{kind}")
        doc_no = str(data.get(DOC_NO_FIELD.get(kind, ""), "") or "") or _next_doc_no(
            session, kind, today.year
        )
        fields = {**data, **case_fields(case), **next_due}
        fields.update(doc_no=doc_no, issued_on=today.isoformat(), issuer=ISSUER.get(kind, ""))
        try:
            content = render_document(kind, fields)
        except DocumentError as exc:
            raise InvalidInput(f"文书生成失败：{exc}") from exc
        doc = Document(
            instance_id=instance.id,
            case_id=instance.case_id,
            task_record_id=task.id,
            kind=kind,
            name=f"{DOCUMENT_KINDS[kind]}（{doc_no}）",
            doc_no=doc_no,
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            created_at=clock.now(),
        )
        session.add(doc)
        stored.append(doc)
    session.flush()
    return stored


def get(session: Session, document_id: int) -> Document:
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound("文书不存在")
    return doc
