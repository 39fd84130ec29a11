"""Ready to print: every official document also downloads as PDF (LibreOffice), keeping the
GB/T 9704 page, read and recorded like the .docx; a case's timeline prints on A4."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.models import AuditEvent, Document
from app.services.records import pdf
from tests.helpers import CASE, register, step
from tests.test_web import login

pytestmark = pytest.mark.both_databases

A4 = (595.3, 841.9)  # points


def _notice(db) -> tuple[int, Document]:
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")  # renders 《行政争议调处交办通知书》
    with db.read() as session:
        return instance_id, session.scalar(
            select(Document).where(Document.instance_id == instance_id)
        )


def test_a_document_prints_as_an_a4_pdf_with_its_text_and_page_numbers(client, db):
    assert pdf.available(), "the test command installs LibreOffice (libreoffice-writer-nogui)"
    instance_id, document = _notice(db)
    login(client, "gtzy")  # the agency it was sent to
    page = client.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert f'href="/documents/{document.id}/pdf"' in page
    response = client.get(f"/documents/{document.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert (
        "行政争议调处交办通知书" in response.headers["Content-Disposition"]
        or ".pdf" in (response.headers["Content-Disposition"])
    )
    reader = PdfReader(io.BytesIO(response.data))
    first = reader.pages[0]
    assert (round(float(first.mediabox.width), 1), round(float(first.mediabox.height), 1)) == A4
    text = "".join(p.extract_text() for p in reader.pages)
    assert "行政争议调处交办通知书" in text.replace(" ", "")
    assert CASE["court_case_no"] in text.replace(" ", "")
    assert "—1—" in text.replace(" ", "")  # GB/T 9704 page numbers
    fonts = {
        str(font["/BaseFont"])
        for p in reader.pages
        for font in p["/Resources"]["/Font"].values()  # type: ignore[union-attr]
    }
    assert any("CJK" in f or "Ming" in f or "Song" in f for f in fonts), fonts  # CJK fallback
    with db.read() as session:
        reads = session.scalars(select(AuditEvent).where(AuditEvent.action == "document.read"))
        formats = [e.detail.get("format") for e in reads if e.detail["document_id"] == document.id]
    assert formats == ["pdf"]  # recorded like any download


def test_a_printed_document_prints_again_from_the_kept_pdf(client, db, monkeypatch):
    """Conversion takes seconds: the second print reads the PDF kept under the document's
    sha256, and is audited like the first (here with LibreOffice gone from the PATH)."""
    _, document = _notice(db)
    login(client, "gtzy")
    first = client.get(f"/documents/{document.id}/pdf")
    assert first.status_code == 200
    monkeypatch.setenv("PATH", "")
    assert not pdf.available()
    again = client.get(f"/documents/{document.id}/pdf")
    assert again.status_code == 200 and again.data == first.data
    with db.read() as session:
        reads = session.scalars(select(AuditEvent).where(AuditEvent.action == "document.read"))
        assert [e.detail.get("format") for e in reads] == ["pdf", "pdf"]


def test_a_pdf_follows_the_read_rule(client, db):
    _, document = _notice(db)
    login(client, "scjg")  # another agency
    assert client.get(f"/documents/{document.id}/pdf").status_code == 404
    with db.read() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent))]
    assert "document.read" not in actions


def test_the_case_timeline_prints_oldest_first(client, db):
    instance_id, _ = _notice(db)
    login(client, "center")
    with db.read() as session:
        case_id = session.scalar(
            select(Document.case_id).where(Document.instance_id == instance_id)
        )
    assert f'href="/cases/{case_id}/print"' in client.get(f"/cases/{case_id}").get_data(
        as_text=True
    )
    printed = client.get(f"/cases/{case_id}/print").get_data(as_text=True)
    assert CASE["court_case_no"] in printed and "@page { size: A4" in printed
    rows = printed[printed.index("<tbody>") : printed.index("</tbody>")]
    assert rows.index("法院诉前移送调处") < rows.index("行政争议调处交办通知书")  # oldest first
    assert "打印人：洪泽区行政争议调处中心" in printed
