"""Cases (案件) and rendered documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime

LITIGATION = "litigation"  # 行政诉讼: a court case
RECONSIDERATION = "reconsideration"  # 行政复议: a reconsideration decision about an agency's act
CASE_KINDS = {LITIGATION: "行政诉讼", RECONSIDERATION: "行政复议"}


class Case(Base):
    """A court case (行政诉讼) or a reconsideration decision (行政复议, ``kind``): for a
    reconsideration ``case_no`` is the decision's number (复议决定书文号), ``plaintiff`` the
    applicant, ``court`` the reconsideration organ and ``outcome`` its decision."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=LITIGATION, server_default=LITIGATION)
    case_no: Mapped[str] = mapped_column(String(100), unique=True)  # 法院案号
    plaintiff: Mapped[str] = mapped_column(String(200))
    agency_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    subject: Mapped[str] = mapped_column(Text)
    claims: Mapped[str] = mapped_column(Text, default="")
    court: Mapped[str] = mapped_column(String(200))
    received_on: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD, Shanghai
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    # 裁判结果 (judgment outcome) once the case concludes, e.g. 胜诉/败诉/部分败诉/撤诉
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    outcome_on: Mapped[str | None] = mapped_column(String(10), default=None)  # YYYY-MM-DD
    # the judgment as the court sent it; defendants and the ones that lost (unit codes)
    judgment: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    defendants: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    losing_units: Mapped[list[str] | None] = mapped_column(JSON, default=None)

    agency = relationship("Unit", lazy="joined")


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    task_record_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    doc_no: Mapped[str] = mapped_column(String(100), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def filename(self) -> str:
        return f"{self.name}.docx"


class DocumentCounter(Base):
    """Per kind and year sequence for document numbers (发文字号)."""

    __tablename__ = "document_counters"

    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class Attachment(Base):
    """An uploaded file, stored outside the web root under a random name."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"), index=True)
    task_record_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), default=None)
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None)

    def as_ref(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "size": self.size, "sha256": self.sha256}


class Setting(Base):
    """The district's settings (``app.config.DISTRICT_SETTINGS``, e.g. which outcomes count as
    lost), and the evaluation's record of the units it called (``interview:…``)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcessMessage(Base):
    """A BPMN message sent through ``POST /api/v1/messages`` by name and correlation (not a
    court event): kept for its idempotency key and for the audit trail."""

    __tablename__ = "process_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    correlation: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sender: Mapped[str] = mapped_column(String(64))
    delivered_to: Mapped[list[int]] = mapped_column(JSON, default=list)  # instance ids
    started: Mapped[list[int]] = mapped_column(JSON, default=list)  # instance ids


class CourtMessage(Base):
    """A court event received through the API (预立案信息通报, 败诉预警函, 裁判结果 …)."""

    __tablename__ = "court_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sender: Mapped[str] = mapped_column(String(64))
    delivered_to: Mapped[list[int]] = mapped_column(JSON, default=list)  # instance ids
    started: Mapped[list[int]] = mapped_column(JSON, default=list)  # instance ids
