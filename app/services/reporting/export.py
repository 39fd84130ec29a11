"""The dashboard as an Excel workbook (openpyxl).

Text that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, or a leading tab or
carriage return: unit names and reason categories come from users) is written as a text cell
marked with Excel's quote prefix, never as a formula: opening the export runs nothing.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font

from app.services.reporting.stats import Dashboard

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text_if_formula_like(cell: Cell) -> None:
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
        cell.data_type = "s"  # openpyxl makes "=…" a formula
        cell.quotePrefix = True  # and Excel keeps it text when someone edits the cell


def dashboard_xlsx(board: Dashboard) -> bytes:
    book = Workbook()
    sheets = [
        ("败诉率", ["单位代码", "单位", "败诉", "结案", "败诉率"],
         [[r.unit_code, r.unit_name, r.lost, r.concluded, r.rate] for r in board.rates]),
        ("复议纠错率", ["单位代码", "单位", "被纠错", "复议决定", "复议纠错率"],
         [[r.unit_code, r.unit_name, r.corrected, r.decided, r.rate] for r in board.corrections]),
        ("季度趋势", ["季度", "败诉", "结案", "败诉率"],
         [[t["quarter"], t["lost"], t["concluded"], t["loss_rate"]] for t in board.trend]),
        ("诉前调处", ["达成协议", "终止调处", "已结束", "成功率"],
         [[board.mediation["agreement"], board.mediation["termination"],
           board.mediation["ended"], board.mediation["success_rate"]]]),
        ("期限执行", ["单位代码", "单位", "按期", "逾期", "未到期",
                      "本地规则按期", "本地规则逾期", "本地规则未到期"],
         [[c["unit"], c["name"], c["met"], c["late"], c["open"], c["local_met"],
           c["local_late"], c["local_open"]] for c in board.compliance]),
        ("败诉原因", ["原因类别", "件数"],
         [[r["category"], r["count"]] for r in board.reasons]),
    ]  # fmt: skip
    first = True
    for title, header, rows in sheets:
        sheet = book.active if first else book.create_sheet()
        first = False
        sheet.title = title
        sheet.append([f"统计期间：{board.period.label()}"])
        sheet.append(header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for row in sheet.iter_rows():
            for cell in row:
                as_text_if_formula_like(cell)
                rate = cell.row >= 3 and header[cell.column - 1].endswith("率")
                if rate and isinstance(cell.value, float):
                    cell.number_format = "0.0%"
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = 16
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
