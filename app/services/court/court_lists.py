"""The court's lists, imported by the center: 法院移送案件清单 (court-referred cases) and
裁判结果清单 (judgments), from .xlsx or .csv.

A preview checks every row exactly as registering the case or receiving the court's judgment
message would, and names each problem by row and column, storing nothing. Importing records
each valid row in its own transaction, through the same services, so it starts what a court
message or a registration starts. It is idempotent: a case number already registered, or a
judgment list row already imported for that case (idempotency key ``list:judgment:<case
number>``), is skipped, so importing the same file twice changes nothing. The file's sha256 is
recorded with every row as the evidence its dates came from.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import case_numbers
from app.db import Database
from app.errors import Conflict, InvalidInput, NotFound, ServiceError
from app.models import Case, CourtMessage, Unit
from app.services.actor import Actor
from app.services.court import cases, judgments, messages
from app.services.identity.permissions import Action, require
from app.services.records import audit, spreadsheets
from app.services.uow import unit_of_work


@dataclass(frozen=True)
class Column:
    header: str
    key: str  # the field of the case, or of the judgment message's payload
    kind: str  # text, date, unit, units, yes_no
    required: bool
    note: str  # what to fill in (the template's 填写说明)
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListKind:
    key: str
    label: str
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


REFERRED_CASES = ListKind("referred_cases", "法院移送案件清单", (
    Column("法院案号", "court_case_no", "text", True, "如（2026）苏0813行诉前12号"),
    Column("行政相对人（原告）", "plaintiff", "text", True, "姓名或名称", ("原告", "行政相对人")),
    Column("案涉行政机关", "agency_unit", "unit", True, "单位全称或单位代码", ("被告",)),
    Column("争议事项", "subject", "text", True, "行政争议的事项"),
    Column("诉讼请求", "claims", "text", False, "可不填"),
    Column("管辖法院", "court", "text", True, "如洪泽区人民法院", ("法院",)),
    Column("收到移送材料日期", "received_on", "date", False,
           "YYYY-MM-DD；不填为导入当天。期限自此日起算", ("移送日期", "收到日期")),
))  # fmt: skip
JUDGMENTS = ListKind("judgments", "裁判结果清单", (
    Column("法院案号", "case_no", "text", True, "须为系统中已登记的案件"),
    Column("裁判结果", "outcome", "text", True, "、".join(judgments.OUTCOMES)),
    Column("生效日期", "effective_on", "date", True, "裁判生效之日，YYYY-MM-DD"),
    Column("履行期限届满日", "performance_deadline", "date", False,
           "败诉时必填，YYYY-MM-DD", ("履行期限",)),
    Column("被告", "defendants", "units", True, "单位全称或代码，多个用顿号分隔", ("被告单位",)),
    Column("败诉单位", "losing_units", "units", False, "不填为全部被告（败诉时）"),
    Column("送达日期", "served_on", "date", False,
           "各被告收到裁判文书之日；不填为导入当天。复盘期限自此日起算", ("收到裁判文书日期",)),
    Column("责令重作或补救", "orders_new_act", "yes_no", False, "是 或 否；不填为否"),
))  # fmt: skip
KINDS = {k.key: k for k in (REFERRED_CASES, JUDGMENTS)}

READY, SKIPPED, INVALID, RECORDED = "ready", "skipped", "invalid", "recorded"
STATUS_LABELS = {READY: "可导入", SKIPPED: "已在系统中，跳过", INVALID: "有误", RECORDED: "已导入"}


@dataclass
class Row:
    number: int  # in the sheet
    shown: dict[str, str]  # header -> the cell as the file has it
    payload: dict[str, Any]
    problems: dict[str, list[str]] = field(default_factory=dict)  # header -> messages
    status: str = READY

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class Report:
    kind: ListKind
    filename: str
    sha256: str
    rows: list[Row]
    ignored_columns: list[str]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)


def list_kind(key: str) -> ListKind:
    found = KINDS.get(key)
    if found is None:
        raise NotFound(f"未知的清单类型：{key}")
    return found


def template(kind: ListKind) -> bytes:
    return spreadsheets.template(
        kind.label, [c.header for c in kind.columns],
        [("必填。" if c.required else "") + c.note for c in kind.columns],
    )  # fmt: skip


def preview(
    session: Session, actor: Actor, kind: ListKind, filename: str, content: bytes
) -> Report:
    """Every row as it would be recorded, with its problems; nothing stored."""
    require(actor.role, Action.IMPORT_COURT_LISTS)
    report = _read(session, kind, filename, content)
    seen: dict[str, int] = {}
    for row in report.rows:
        _check(session, kind, row)
        number = _case_no(kind, row)
        if number and row.status != INVALID:
            if number in seen:
                row.problems.setdefault(kind.columns[0].header, []).append(
                    f"与第 {seen[number]} 行的案号重复"
                )
                row.status = INVALID
            seen.setdefault(number, row.number)
    return report


def run(db: Database, actor: Actor, kind: ListKind, filename: str, content: bytes) -> Report:
    """Check again, then record each valid row in its own transaction."""
    with db.read() as session:
        report = preview(session, actor, kind, filename, content)
    record = _register_case if kind is REFERRED_CASES else _receive_judgment
    for row in report.rows:
        if row.status != READY:
            continue
        try:
            record(db, actor, row.payload, report.sha256)
        except ServiceError as exc:  # changed since the check (another import, a message)
            row.problems.setdefault("", []).append(exc.message)
            row.status = INVALID
        else:
            row.status = RECORDED
    _record_import(db, actor, kind.key, filename, report.sha256, report.count(RECORDED))
    return report


@unit_of_work
def _register_case(session: Session, actor: Actor, payload: dict[str, Any], source: str) -> None:
    registered = cases.register.within(session, actor, payload)
    audit.record(session, actor, "case.import", case_id=registered.case.id, source=source)


def _receive_judgment(db: Database, actor: Actor, body: dict[str, Any], source: str) -> None:
    messages.receive_from_list(db, actor, body, source)


@unit_of_work
def _record_import(
    session: Session, actor: Actor, kind: str, filename: str, sha256: str, recorded: int
) -> None:
    audit.record(
        session, actor, "court_list.import", kind=kind, filename=filename[:200], sha256=sha256,
        recorded=recorded,
    )  # fmt: skip


# -- reading a file into rows -------------------------------------------------------------------
def _plain(header: str) -> str:
    return re.sub(r"[\s（）()]", "", header)


def _read(session: Session, kind: ListKind, filename: str, content: bytes) -> Report:
    table = spreadsheets.read(filename, content)
    names = {_plain(c.header): c for c in kind.columns}
    names |= {_plain(a): c for c in kind.columns for a in c.aliases}
    where: dict[str, int] = {}
    ignored = []
    for index, header in enumerate(table.headers):
        column = names.get(_plain(header))
        if column is None:
            if header:
                ignored.append(header)
        elif column.key not in where:
            where[column.key] = index
    missing = [c.header for c in kind.columns if c.required and c.key not in where]
    if missing:
        message = f"缺少列：{'、'.join(missing)}（第一行应为列名，可下载模板对照）"
        raise InvalidInput(message, {"file": [message]})
    units = _unit_codes(session)
    rows = []
    for number, cells in table.rows:
        row = Row(number, {}, {})
        for column in kind.columns:
            at = where.get(column.key)
            cell = cells[at] if at is not None and at < len(cells) else None
            row.shown[column.header] = _shown(cell)
            value = _value(column, cell, units, row)
            if value is not None:
                row.payload[column.key] = value
        rows.append(row)
    digest = hashlib.sha256(content).hexdigest()
    return Report(kind, filename, digest, rows, ignored)


def _unit_codes(session: Session) -> dict[str, str]:
    """A unit's full name or its code -> its code."""
    codes: dict[str, str] = {}
    for code, name in session.execute(select(Unit.code, Unit.name)):
        codes[name] = code
        codes[code] = code
    return codes


def _shown(cell: spreadsheets.Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else str(cell)
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell).strip()


_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_YES, _NO = {"是", "y", "yes", "true", "1"}, {"否", "n", "no", "false", "0"}


def _value(column: Column, cell: spreadsheets.Cell, units: dict[str, str], row: Row) -> Any:
    """The cell as the service takes it; a cell it cannot be is noted as the row's problem."""
    text = _shown(cell)
    if not text:
        return None
    if column.kind == "date":
        if isinstance(cell, date):
            return text
        found = _DAY.match(text)
        return f"{found[1]}-{int(found[2]):02d}-{int(found[3]):02d}" if found else text
    if column.kind in ("unit", "units"):
        parts = [p for p in re.split(r"[、,，;；\s]+", text) if p]
        unknown = [p for p in parts if p not in units]
        if unknown:
            row.problems.setdefault(column.header, []).append(f"未知的单位：{'、'.join(unknown)}")
        codes = [units.get(p, p) for p in parts]
        return codes[0] if column.kind == "unit" else codes
    if column.kind == "yes_no":
        if text.lower() in _YES:
            return True
        if text.lower() in _NO:
            return False
        row.problems.setdefault(column.header, []).append("应填“是”或“否”")
        return None
    return text


# -- checking a row as its service would --------------------------------------------------------
def _case_no(kind: ListKind, row: Row) -> str:
    return case_numbers.normalize(str(row.payload.get(kind.columns[0].key, "")))


def _check(session: Session, kind: ListKind, row: Row) -> None:
    checker: Callable[[Session, ListKind, Row], None] = (
        _check_case if kind is REFERRED_CASES else _check_judgment
    )
    checker(session, kind, row)
    if row.problems and row.status != SKIPPED:
        row.status = INVALID


def _name_fields(kind: ListKind, row: Row, errors: dict[str, list[str]]) -> None:
    """The service's problems under their columns' headers; a column already refused while
    reading (an unknown unit, a word for yes or no) keeps that one message."""
    read_problems = set(row.problems)
    for key, found in errors.items():
        column = kind.column(key)
        header = column.header if column else ""
        if header not in read_problems:
            row.problems.setdefault(header, []).extend(found)


def _check_case(session: Session, kind: ListKind, row: Row) -> None:
    try:
        fields, _agency = cases.check(session, row.payload)
    except InvalidInput as exc:
        _name_fields(kind, row, exc.errors)
        return
    number = fields["court_case_no"]
    if session.scalar(select(Case.id).where(Case.case_no == number)) is not None:
        row.problems["法院案号"] = [f"案号已登记：{number}"]
        row.status = SKIPPED


def _check_judgment(session: Session, kind: ListKind, row: Row) -> None:
    number = _case_no(kind, row)
    payload = {k: v for k, v in row.payload.items() if k not in ("case_no", "served_on")}
    served = row.payload.get("served_on")
    if served and isinstance(payload.get("defendants"), list):
        payload["served_on"] = dict.fromkeys(payload["defendants"], served)
    key = f"list:judgment:{number}"
    row.payload = {
        "name": "judgment", "case_no": number, "idempotency_key": key, "payload": payload,
    }  # fmt: skip
    if session.scalar(select(CourtMessage.id).where(CourtMessage.idempotency_key == key)):
        row.problems["法院案号"] = ["本案的裁判结果已从清单导入"]
        row.status = SKIPPED
        return
    try:
        judgments.check(session, number, payload)
    except InvalidInput as exc:
        _name_fields(kind, row, exc.errors)
    except NotFound:
        row.problems["法院案号"] = [f"系统中没有该案件：{number}（请先登记）"]
    except Conflict:
        case = session.scalar(select(Case).where(Case.case_no == number))
        outcome = case.outcome if case is not None else ""
        row.problems["裁判结果"] = [f"本案已有裁判结果（{outcome}），清单不能更正裁判结果"]
