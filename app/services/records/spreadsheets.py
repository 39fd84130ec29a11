"""Tables in and out of the office's spreadsheets: an uploaded .xlsx or .csv read as rows of
cells, and an .xlsx template written with Chinese headers.

An .xlsx is a zip: it is checked like any uploaded archive before openpyxl opens it. A .csv
may be saved by Excel or WPS as UTF-8 (with or without its BOM) or as GB18030 (GBK).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from app.errors import InvalidInput
from app.services.records import archives

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
Cell = str | date | datetime | int | float | bool | None


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[tuple[int, list[Cell]]]  # (the row's number in the sheet, its cells)


def _refused(message: str) -> InvalidInput:
    return InvalidInput(message, {"file": [message]})


def read(filename: str, content: bytes) -> Table:
    """The first sheet: its first non-empty row as headers, then every non-empty row."""
    if not content:
        raise _refused("文件为空")
    if len(content) > MAX_BYTES:
        raise _refused(f"文件过大（上限 {MAX_BYTES // 1024 // 1024} MB）")
    name = filename.lower()
    if name.endswith(".xlsx"):
        lines = _xlsx_rows(content)
    elif name.endswith(".csv"):
        lines = _csv_rows(content)
    else:
        raise _refused("请上传 .xlsx 或 .csv 文件（.xls 请先在 Excel 或 WPS 中另存为 .xlsx）")
    numbered = [(n, cells) for n, cells in lines if any(_filled(c) for c in cells)]
    if not numbered:
        raise _refused("文件中没有数据")
    (_, header_cells), *rows = numbered
    if len(rows) > MAX_ROWS:
        raise _refused(f"行数过多（上限 {MAX_ROWS} 行），请分批导入")
    headers = [str(c).strip() if c is not None else "" for c in header_cells]
    return Table(headers, rows)


def _filled(cell: Cell) -> bool:
    return cell is not None and str(cell).strip() != ""


def _xlsx_rows(content: bytes) -> list[tuple[int, list[Cell]]]:
    problem = archives.problem(content)
    if problem:
        raise _refused(problem)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _refused("无法读取该 .xlsx 文件，请确认它是 Excel 或 WPS 保存的表格") from exc
    try:
        sheet = book.worksheets[0]
        return [
            (number, list(values))
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            if number <= MAX_ROWS + 50
        ]
    finally:
        book.close()


def _csv_rows(content: bytes) -> list[tuple[int, list[Cell]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise _refused("无法识别文件的编码，请另存为 UTF-8 的 CSV")
    if "\x00" in text:
        raise _refused("文件含有无效字符")
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        return [(number, list(row)) for number, row in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise _refused(f"CSV 格式有误：{exc}") from exc


def template(title: str, headers: Sequence[str], notes: Sequence[str]) -> bytes:
    """An empty list to fill in: the headers on the first sheet, what each column takes on a
    second one (填写说明)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(
            14, len(header) * 2 + 4
        )
    guide = book.create_sheet("填写说明")
    guide.append(["列", "填写说明"])
    for header, note in zip(headers, notes, strict=True):
        guide.append([header, note])
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
