"""Attachments a unit may keep: a quota per unit (setting ``attachment_quota_mb``), zip
containers (.zip, .docx, .xlsx) checked for their expansion (zip bombs refused), and no file
left behind by a submission refused after one of its files was written."""

from __future__ import annotations

import io
import zipfile

import docx
import openpyxl
import pytest
from sqlalchemy import func, select

from app.errors import InvalidInput
from app.models import Attachment
from app.services import district_settings
from app.services.actor import SYSTEM
from app.services.execution import completion, processes
from app.services.records import attachments
from tests.helpers import actor, bearer_headers, open_task
from tests.samples import PathData, load

pytestmark = pytest.mark.both_databases
MIB = 1024 * 1024


@pytest.fixture
def tokens(db):
    return bearer_headers(db, "gtzy", "scjg")


def _kept(db, settings) -> tuple[int, int]:
    """(attachment rows, files in the attachment folder)."""
    with db.read() as session:
        rows = session.scalar(select(func.count()).select_from(Attachment))
    folder = settings.data_dir / "attachments"
    return rows, len(list(folder.iterdir())) if folder.exists() else 0


def _quota(db, megabytes: int) -> None:
    district_settings.change(db, SYSTEM, "attachment_quota_mb", megabytes)


def _pdf(size: int) -> bytes:
    return b"%PDF-1.7\n" + b"x" * (size - 9)


def _upload(client, headers, name: str, content: bytes):
    return client.post(
        "/api/v1/attachments", data={"file": (io.BytesIO(content), name)}, headers=headers
    )


def test_a_unit_past_its_quota_is_refused_naming_the_limit(client, db, settings, tokens):
    _quota(db, 1)
    assert _upload(client, tokens["gtzy"], "起诉状.pdf", _pdf(600_000)).status_code == 201
    refused = _upload(client, tokens["gtzy"], "证据.pdf", _pdf(600_000))
    assert refused.status_code == 413
    assert "上限 1 MiB" in refused.get_json()["errors"]["file"][0]
    assert _kept(db, settings) == (1, 1)
    # the quota is the unit's own: another unit still has its whole allowance
    assert _upload(client, tokens["scjg"], "证据.pdf", _pdf(600_000)).status_code == 201


def test_files_of_a_submission_past_the_quota_are_all_removed(db, settings):
    """The first file is written before the second is refused: the refusal rolls the step
    back, and the file written goes with it."""
    _quota(db, 1)
    with db.write() as session:
        instance = processes.start.within(
            session, actor(db, "gtzy"), "major_enforcement_decision", {}
        )
        instance_id = instance.id
    task_id = open_task(db, instance_id).id
    data = PathData(load("major_enforcement_decision")["paths"]["passed_first_time"]).next(
        "draft_decision"
    )
    data.pop("materials")
    files = [attachments.Upload(f"材料{n}.pdf", _pdf(600_000)) for n in (1, 2)]
    with pytest.raises(InvalidInput) as refused, db.write() as session:
        completion.complete_task(
            session, actor(db, "gtzy"), task_id, data,
            {"materials": files}, settings.data_dir / "attachments",
        )  # fmt: skip
    assert refused.value.status == 413 and "materials" in refused.value.errors
    assert _kept(db, settings) == (0, 0)


def _bomb(member: str, megabytes: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(member, b"\0" * megabytes * MIB)
    return buffer.getvalue()


def _docx() -> bytes:
    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("行政处罚决定书（草稿）" * 200)
    document.save(buffer)
    return buffer.getvalue()


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    for row in range(2000):
        book.active.append([row, "证据目录", "第 1 页"])
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("卷宗.zip", _bomb("data.bin", 60), "压缩比异常"),
        ("决定书.docx", _bomb("word/document.xml", 60), "压缩比异常"),
        ("证据目录.xlsx", _bomb("xl/worksheets/sheet1.xml", 60), "压缩比异常"),
        ("损坏.docx", b"PK\x03\x04" + b"\x00" * 100, "已损坏"),
    ],
    ids=["zip bomb", "docx bomb", "xlsx bomb", "not a zip"],
)
def test_zip_bombs_and_broken_archives_are_refused(
    client, db, settings, tokens, name, content, message
):
    response = _upload(client, tokens["gtzy"], name, content)
    assert response.status_code == 400
    assert message in response.get_json()["errors"]["file"][0]
    assert _kept(db, settings) == (0, 0)


def test_ordinary_office_files_are_kept(client, db, tokens):
    for name, content in (("决定书.docx", _docx()), ("证据目录.xlsx", _xlsx())):
        response = _upload(client, tokens["gtzy"], name, content)
        assert response.status_code == 201, response.get_json()
