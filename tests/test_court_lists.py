"""导入法院清单: a court's list of referred cases or of judgments, from .xlsx or .csv, previewed
row by row with every problem named, then imported through the same services as a
registration or a court message; importing the same file twice changes nothing."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.models import AuditEvent, Case, ProcessInstance, Unit
from app.services.actor import SYSTEM
from app.services.identity import org
from tests.test_web import _csrf, login

pytestmark = pytest.mark.both_databases

CASE_HEADERS = [
    "法院案号", "行政相对人（原告）", "案涉行政机关", "争议事项", "诉讼请求", "管辖法院",
    "收到移送材料日期",
]  # fmt: skip
COURT = "洪泽区人民法院"
CASES = [
    ["（2026）苏0813行诉前31号", "张某", "洪泽区自然资源和规划局", "不服征收补偿", "", COURT,
     "2026/9/29"],
    ["（2026）苏0813行诉前32号", "李某", "SCJG", "不服行政处罚", "撤销处罚", COURT, ""],
    ["（2026）苏0813行诉前33号", "王某", "洪泽区不存在局", "不服", "", COURT, "2026-02-30"],
    ["（2026）苏0813行诉前31号", "张某", "GTZY", "重复一行", "", COURT, ""],
]  # fmt: skip


@pytest.fixture
def tokens(db):
    with db.write() as session:
        return {u: org.create_token(session, SYSTEM, u) for u in ("center", "court", "gtzy")}


def _xlsx(headers: list[str], rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cases(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count(Case.id)))


def _upload(client: FlaskClient, kind: str, name: str, content: bytes):
    return client.post(
        "/imports",
        data={"kind": kind, "csrf_token": _csrf(client, "/imports"),
              "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )  # fmt: skip


def _confirm(client: FlaskClient, preview: str):
    fields = dict(re.findall(r'name="(kind|filename|content|confirm)" value="([^"]*)"', preview))
    return client.post("/imports", data={**fields, "csrf_token": _csrf(client, "/imports")})


def test_a_referred_case_list_is_previewed_then_imported_once(client, db):
    login(client, "center")
    template = client.get("/imports/template/referred_cases.xlsx")
    assert template.status_code == 200
    headers = [c.value for c in load_workbook(io.BytesIO(template.data)).worksheets[0][1]]
    assert headers == CASE_HEADERS  # the template is the list's shape
    before = _cases(db)
    content = _xlsx(CASE_HEADERS, CASES)

    preview = _upload(client, "referred_cases", "移送清单.xlsx", content)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert _cases(db) == before  # a preview stores nothing
    assert "可导入 2 行" in page and "有误 2 行" in page
    row4 = page[page.index("<td>4</td>") : page.index("</tr>", page.index("<td>4</td>"))]
    assert "案涉行政机关：未知的单位：洪泽区不存在局" in row4  # every problem of the row at once
    assert "收到移送材料日期：" in row4
    row5 = page[page.index("<td>5</td>") : page.index("</tr>", page.index("<td>5</td>"))]
    assert "与第 2 行的案号重复" in row5

    done = _confirm(client, page).get_data(as_text=True)
    assert "已导入 2 行" in done
    assert _cases(db) == before + 2
    with db.read() as session:
        case = session.scalar(select(Case).where(Case.case_no == "（2026）苏0813行诉前31号"))
        started = session.scalars(
            select(ProcessInstance.process_id).where(ProcessInstance.case_id == case.id)
        ).all()
        imported = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.import"))
        sources = {e.detail["source"] for e in imported}
        gtzy = session.scalar(select(Unit.id).where(Unit.code == "GTZY"))
    assert case.received_on == "2026-09-29" and case.agency_unit_id == gtzy
    assert started == ["pre_litigation_mediation"]  # what registering the case starts
    assert len(sources) == 1 and len(sources.pop()) == 64  # the file's sha256, as evidence

    again = _upload(client, "referred_cases", "移送清单.xlsx", content).get_data(as_text=True)
    assert "可导入 0 行" in again and "已在系统中而跳过 2 行" in again
    assert "确认导入" not in again
    assert _cases(db) == before + 2  # the same file twice: nothing more


def test_a_csv_saved_by_wps_as_gbk_is_read(client, db):
    login(client, "center")
    lines = [",".join(CASE_HEADERS), ",".join(CASES[1])]
    page = _upload(
        client, "referred_cases", "清单.csv", "\r\n".join(lines).encode("gb18030")
    ).get_data(as_text=True)
    assert "可导入 1 行" in page and "李某" in page


def test_a_judgment_list_through_the_api_starts_what_the_message_would(client, db, tokens):
    center = {"Authorization": f"Bearer {tokens['center']}"}
    client.post(
        "/api/v1/cases", headers=center,
        json={"court_case_no": "（2026）苏0813行初90号", "plaintiff": "赵某", "agency_unit": "GTZY",
              "subject": "不服处罚", "court": "洪泽区人民法院"},
    )  # fmt: skip
    headers = ["法院案号", "裁判结果", "生效日期", "履行期限届满日", "被告", "送达日期"]
    rows = [
        ["（2026）苏0813行初90号", "败诉", "2026-09-20", "2026-09-28", "洪泽区自然资源和规划局",
         "2026-09-30"],
        ["（2026）苏0813行初99号", "胜诉", "2026-09-20", "", "GTZY", ""],
    ]  # fmt: skip
    content = _xlsx(headers, rows)

    def send(dry_run: str):
        return client.post(
            "/api/v1/imports/judgments", headers=center, content_type="multipart/form-data",
            data={"file": (io.BytesIO(content), "裁判结果.xlsx"), "dry_run": dry_run},
        )  # fmt: skip

    checked = send("true").json
    assert checked["counts"] == {"ready": 1, "skipped": 0, "invalid": 1, "recorded": 0}
    assert checked["rows"][1]["problems"] == {
        "法院案号": ["系统中没有该案件：（2026）苏0813行初99号（请先登记）"]
    }
    imported = send("false").json
    assert imported["counts"]["recorded"] == 1
    with db.read() as session:
        case = session.scalar(select(Case).where(Case.case_no == "（2026）苏0813行初90号"))
        started = sorted(
            session.scalars(
                select(ProcessInstance.process_id).where(ProcessInstance.case_id == case.id)
            )
        )
    assert case.outcome == "败诉"
    assert started == [
        "fault_determination", "judgment_performance", "loss_review", "pre_litigation_mediation",
    ]  # fmt: skip
    again = send("false").json
    assert again["counts"]["recorded"] == 0 and again["counts"]["skipped"] == 1


def test_bad_files_and_people_are_refused_with_a_reason(client, db, tokens):
    login(client, "center")
    before = _cases(db)
    old_excel = _upload(client, "referred_cases", "清单.xls", b"\xd0\xcf\x11\xe0 old excel")
    assert old_excel.status_code == 400 and "另存为 .xlsx" in old_excel.get_data(as_text=True)
    broken = _upload(client, "referred_cases", "清单.xlsx", b"PK\x03\x04 not really a zip")
    assert broken.status_code == 400 and "import-error" in broken.get_data(as_text=True)
    missing = _upload(
        client, "referred_cases", "清单.xlsx", _xlsx(["法院案号", "原告"], [["1", "2"]])
    )
    assert "缺少列：案涉行政机关、争议事项、管辖法院" in missing.get_data(as_text=True)
    assert _cases(db) == before
    court = {"Authorization": f"Bearer {tokens['court']}"}
    content = _xlsx(CASE_HEADERS, CASES[:1])
    refused = client.post(
        "/api/v1/imports/referred_cases", headers=court, content_type="multipart/form-data",
        data={"file": (io.BytesIO(content), "a.xlsx"), "dry_run": "false"},
    )  # fmt: skip
    assert refused.status_code == 403
    agency = FlaskClient(client.application, use_cookies=True)
    login(agency, "gtzy")
    assert agency.get("/imports").status_code == 403
    assert _cases(db) == before
