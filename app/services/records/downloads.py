"""Reading a record's files is itself recorded (阅档留痕): every download of a document, an
attachment or an instance's dossier, by page, API or command line, writes one audit event (who,
what, when) in the transaction that hands the file out."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy.orm import Session

from app.db import Database
from app.models import Attachment, Document
from app.services.actor import Actor
from app.services.records import audit, pdf
from app.services.reporting import inspection, queries
from app.services.uow import unit_of_work


@unit_of_work
def document(session: Session, actor: Actor, document_id: int) -> Document:
    doc = queries.document_for(session, actor, document_id)
    audit.record(
        session, actor, "document.read", instance_id=doc.instance_id, case_id=doc.case_id,
        document_id=doc.id, kind=doc.kind, name=doc.name, sha256=doc.sha256,
    )  # fmt: skip
    return doc


def document_pdf(
    db: Database, actor: Actor, document_id: int, cache: Path | None = None
) -> tuple[str, bytes]:
    """The document as PDF (file name, content), read under the same rule and recorded like
    the .docx; converted (or read from ``cache``) before its audit event is written, so a
    failed conversion hands out nothing and records nothing."""
    with db.read() as session:
        doc = queries.document_for(session, actor, document_id)
        content, filename = doc.content, doc.filename
    printed = pdf.from_docx(content, cache)
    _record_pdf_read(db, actor, document_id)
    return filename.removesuffix(".docx") + ".pdf", printed


@unit_of_work
def _record_pdf_read(session: Session, actor: Actor, document_id: int) -> None:
    doc = queries.document_for(session, actor, document_id)
    audit.record(
        session, actor, "document.read", instance_id=doc.instance_id, case_id=doc.case_id,
        document_id=doc.id, kind=doc.kind, name=doc.name, sha256=doc.sha256, format="pdf",
    )  # fmt: skip


@unit_of_work
def attachment(session: Session, actor: Actor, attachment_id: int) -> Attachment:
    row = queries.attachment_for(session, actor, attachment_id)
    audit.record(
        session, actor, "attachment.read", instance_id=row.instance_id, attachment_id=row.id,
        name=row.name, sha256=row.sha256,
    )  # fmt: skip
    return row


@unit_of_work
def dossier(session: Session, actor: Actor, instance_id: int) -> tuple[str, bytes]:
    """The instance's dossier zip; the event keeps the zip's sha256 (what was handed out)."""
    name, content = inspection.dossier(session, actor, instance_id)
    audit.record(
        session, actor, "dossier.export", instance_id=instance_id, name=name,
        sha256=hashlib.sha256(content).hexdigest(),
    )  # fmt: skip
    return name, content
