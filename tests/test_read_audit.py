"""Reading a record's files leaves a trace: one audit event per download (who, what, when), by
page, API and command line; and nothing a page or API answer holds is kept in a cache."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.models import AuditEvent, Document
from app.services.actor import SYSTEM
from app.services.identity import org
from app.web.factory import create_app
from tests.helpers import register, step
from tests.test_web import login

pytestmark = pytest.mark.both_databases


def _reads(db) -> list[AuditEvent]:
    with db.read() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.action.in_(["document.read", "attachment.read", "dossier.export"])
                )
                .order_by(AuditEvent.id)
            )
        )


@pytest.fixture
def instance_with_document(db) -> tuple[int, int]:
    instance_id = register(db)
    step(db, instance_id, "center", "register_materials")
    with db.read() as session:
        document_id = session.scalar(select(Document.id).where(Document.instance_id == instance_id))
    assert document_id is not None
    return instance_id, document_id


def test_each_document_download_is_audited_once_on_the_page_and_the_api(
    client, db, instance_with_document
):
    instance_id, document_id = instance_with_document
    login(client, "gtzy")
    page = client.get(f"/documents/{document_id}")
    assert page.status_code == 200
    with db.write() as session:
        token = org.create_token(session, SYSTEM, "auditor")
    api = client.get(
        f"/api/v1/documents/{document_id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200
    first, second = _reads(db)
    assert (first.actor, second.actor) == ("gtzy", "auditor")
    for event in (first, second):
        assert event.action == "document.read" and event.instance_id == instance_id
        assert event.detail["document_id"] == document_id
        assert event.detail["sha256"] == hashlib.sha256(page.data).hexdigest()
    # a refused download is not a read
    login(client, "scjg")
    assert client.get(f"/documents/{document_id}").status_code == 404
    assert len(_reads(db)) == 2


def test_dossier_exports_are_audited_on_the_page_and_the_command_line(
    client, db, instance_with_document, tmp_path
):
    instance_id, _ = instance_with_document
    login(client, "auditor")
    zipped = client.get(f"/instances/{instance_id}/dossier.zip")
    assert zipped.status_code == 200
    out = tmp_path / "d.zip"
    CliRunner().invoke(
        main, ["export", "instance", str(instance_id), "--out", str(out)], catch_exceptions=False
    )
    page, cli = _reads(db)
    assert (page.actor, cli.actor) == ("auditor", "cli")
    assert page.action == cli.action == "dossier.export"
    assert page.instance_id == cli.instance_id == instance_id
    assert page.detail["sha256"] == hashlib.sha256(zipped.data).hexdigest()
    assert cli.detail["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_attachment_downloads_are_audited(client, db):
    with db.write() as session:
        token = org.create_token(session, SYSTEM, "gtzy")
    headers = {"Authorization": f"Bearer {token}"}
    uploaded = client.post(
        "/api/v1/attachments",
        data={"file": (io.BytesIO(b"%PDF-1.4 x"), "处罚材料.pdf")},
        headers=headers,
    )
    assert uploaded.status_code == 201
    attachment_id = uploaded.json["id"]
    assert client.get(f"/api/v1/attachments/{attachment_id}", headers=headers).status_code == 200
    login(client, "gtzy")
    assert client.get(f"/attachments/{attachment_id}").status_code == 200
    events = _reads(db)
    assert [(e.action, e.actor, e.detail["attachment_id"]) for e in events] == [
        ("attachment.read", "gtzy", attachment_id),
        ("attachment.read", "gtzy", attachment_id),
    ]


def test_pages_downloads_and_api_answers_are_not_cached_but_static_assets_may_be(client, db):
    login(client, "gtzy")
    for path in ("/", "/instances", "/notifications"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    with db.write() as session:
        token = org.create_token(session, SYSTEM, "gtzy")
    api = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert api.headers["Cache-Control"] == "no-store"
    page = client.get("/").get_data(as_text=True)
    stylesheet = re.search(r'href="(/static/[^"]+)"', page).group(1)
    assert "no-store" not in client.get(stylesheet).headers.get("Cache-Control", "")


@pytest.mark.parametrize("secure", [False, True])
def test_hsts_is_sent_when_cookies_are_secure(settings, db, secure):
    client = create_app(dataclasses.replace(settings, secure_cookies=secure)).test_client()
    hsts = client.get("/login").headers.get("Strict-Transport-Security")
    assert hsts == ("max-age=31536000" if secure else None)
