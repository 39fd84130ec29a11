"""The holiday schedule file an administrator imports (节假日安排): its format and its parser.

Import file format (UTF-8 plain text or CSV, one entry per line)::

    # 2027 年节假日安排（示例）
    year,2027
    2027-01-01,holiday,元旦
    2027-02-06,workday,春节调休上班
    2027-02-08,休,春节
    2027-02-20,班

* ``YYYY-MM-DD,holiday[,note]`` or ``YYYY-MM-DD,workday[,note]``; the Chinese
  kinds ``休`` (= holiday) and ``班`` (= workday) are accepted too. The note is
  shown to users as the reason a day is skipped; it may contain commas if it is
  quoted CSV-style (``"..."``) or is simply the rest of the line.
* ``year,YYYY`` declares that the file is the complete schedule of that year:
  weekdays not listed are working days and weekends not listed are rest days.
* Blank lines and lines starting with ``#`` are ignored; whitespace around
  fields is ignored; kinds are case-insensitive.
* The years covered are every declared year plus every year with at least one
  listed date.
* A malformed date, an unknown kind, a bad year, or the same date listed twice
  with conflicting kinds raises ``CalendarFormatError`` naming the line number.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date

from app.workdays import DayOverride

__all__ = ["CalendarFormatError", "CalendarSchedule", "parse_calendar_file"]


class CalendarFormatError(ValueError):
    """A bad line in an imported calendar file."""

    def __init__(self, line_no: int, message: str) -> None:
        super().__init__(f"第 {line_no} 行：{message}")
        self.line_no = line_no
        self.message = message


_KINDS: dict[str, bool] = {"holiday": False, "休": False, "workday": True, "班": True}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR_RE = re.compile(r"^\d{4}$")
_TRAILING_COMMENT = re.compile(r"\s+#.*$")


@dataclass(frozen=True)
class CalendarSchedule:
    """A parsed import file: the days it rules on, the years it covers, and the years it
    declares complete (``year,YYYY``: those replace whatever was stored for them)."""

    overrides: dict[date, DayOverride]
    years: set[int]
    declared: set[int]


def parse_calendar_file(text: str) -> CalendarSchedule:
    """Parse the import format documented in the module docstring.

    A ``#`` at the start of a line, or after a space, starts a comment. When the file declares
    its year(s), every date must lie in one of them. Raises ``CalendarFormatError``.
    """
    overrides: dict[date, DayOverride] = {}
    seen_on: dict[date, int] = {}
    years: set[int] = set()
    declared: set[int] = set()
    for line_no, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = _TRAILING_COMMENT.sub("", raw).strip()
        if not line or line.startswith("#"):
            continue
        try:
            fields = [f.strip() for f in next(csv.reader([line], skipinitialspace=True))]
        except csv.Error as exc:
            raise CalendarFormatError(line_no, f"无法解析：{exc}") from exc
        head = fields[0]
        if head.lower() == "year":
            if len(fields) < 2 or not _YEAR_RE.match(fields[1]):
                raise CalendarFormatError(line_no, f"年份声明应为 year,YYYY，实为 {line!r}")
            declared.add(int(fields[1]))
            continue
        if not _DATE_RE.match(head):
            raise CalendarFormatError(line_no, f"日期格式应为 YYYY-MM-DD，实为 {head!r}")
        try:
            d = date.fromisoformat(head)
        except ValueError as exc:
            raise CalendarFormatError(line_no, f"日期无效：{head!r}") from exc
        if len(fields) < 2 or not fields[1]:
            raise CalendarFormatError(line_no, "缺少类型（holiday/workday/休/班）")
        kind = fields[1].lower()
        if kind not in _KINDS:
            raise CalendarFormatError(
                line_no, f"未知类型 {fields[1]!r}，应为 holiday、workday、休 或 班"
            )
        note = ",".join(fields[2:]).strip()
        is_workday = _KINDS[kind]
        previous = overrides.get(d)
        if previous is not None:
            if previous.is_workday != is_workday:
                raise CalendarFormatError(
                    line_no, f"{d.isoformat()} 与第 {seen_on[d]} 行的类型冲突"
                )
            if previous.note or not note:
                continue
        overrides[d] = DayOverride(is_workday, note)
        seen_on.setdefault(d, line_no)
        years.add(d.year)
    if declared:
        for d, line_no in sorted(seen_on.items(), key=lambda item: item[1]):
            if d.year not in declared:
                years_text = "、".join(str(y) for y in sorted(declared))
                raise CalendarFormatError(
                    line_no, f"{d.isoformat()} 不在文件声明的年度（{years_text}）之内"
                )
    return CalendarSchedule(overrides, years | declared, declared)
