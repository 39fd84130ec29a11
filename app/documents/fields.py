"""Validation and formatting of the user-supplied fields of an official document.

Every value that ends up in a document passes through :class:`Values`, which turns
it into plain text (dates as ``2026年10月12日``, multi-line fields as lists of
lines). The text is later inserted as run text, never as XML.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

from .errors import DocumentError

MISSING = "（未填写）"


class FieldType(Enum):
    TEXT = "text"  # one line of text inside a sentence
    DATE = "date"  # date / datetime / "YYYY-MM-DD"
    WHEN = "when"  # free text, or a date/datetime that gets formatted
    LINES = "lines"  # multi-line text or a sequence of strings
    FLAG = "flag"  # bool (or a yes/no string from a form)


# name -> (Chinese label, type)
FIELDS: dict[str, tuple[str, FieldType]] = {
    "doc_no": ("发文字号", FieldType.TEXT),
    "issued_on": ("成文日期", FieldType.DATE),
    "issuer": ("发文机关", FieldType.TEXT),
    "court_case_no": ("法院案号", FieldType.TEXT),
    "plaintiff": ("行政相对人（原告）", FieldType.TEXT),
    "agency_name": ("案涉行政机关", FieldType.TEXT),
    "subject": ("案由（争议事项）", FieldType.TEXT),
    "claims": ("诉讼请求", FieldType.TEXT),
    "court": ("管辖法院", FieldType.TEXT),
    "materials_summary": ("案件材料概要", FieldType.LINES),
    "received_on": ("材料接收日期", FieldType.DATE),
    "reply_due": ("回复期限", FieldType.DATE),
    "authorised_persons": ("委托代理人及参加人员", FieldType.TEXT),
    "mediation_time": ("调处时间", FieldType.WHEN),
    "mediation_place": ("调处地点", FieldType.TEXT),
    "agreement_terms": ("协议条款", FieldType.LINES),
    "withdrawal_explained": ("是否已释明撤回行政诉讼事项", FieldType.FLAG),
    "termination_reason": ("终止调处原因", FieldType.TEXT),
    "materials_list": ("退回材料清单", FieldType.LINES),
}

# Characters that are not allowed in XML 1.0 (tab, LF and CR are fine).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_TRAILING_PUNCT = "。．.，,；;、 \u3000"
# Sentence fragments whose trailing punctuation is dropped (the template adds its own).
_FRAGMENTS = {"subject", "claims", "termination_reason"}
# Leading numbering the user may have typed ("1.", "2、", "（三）", "(4)", "五、").
_LEADING_NUMBER = re.compile(
    r"^\s*(?:\d+\s*[.．、](?!\d)|[（(]\s*(?:\d+|[一二三四五六七八九十]+)\s*[)）]"
    r"|[一二三四五六七八九十]+\s*[、.．])\s*"
)
_TRUE = {"true", "1", "yes", "y", "on", "是", "已释明"}
_FALSE = {"false", "0", "no", "n", "off", "否", "未释明"}


def clean(text: str) -> str:
    """Drop characters that cannot be stored in a .docx and normalise line breaks."""
    return _XML_ILLEGAL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


def format_date(value: dt.date) -> str:
    """``2026-10-12`` -> ``2026年10月12日`` (Arabic numerals, no leading zeros)."""
    return f"{value.year}年{value.month}月{value.day}日"


def chinese_number(n: int) -> str:
    """1 -> 一, 12 -> 十二, 20 -> 二十, 99 -> 九十九 (for clause numbering)."""
    digits = "零一二三四五六七八九"
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else digits[tens] + "十")
    return head + (digits[ones] if ones else "")


def strip_numbering(line: str) -> str:
    """Remove numbering typed by the user so that we can number clauses ourselves."""
    return _LEADING_NUMBER.sub("", line, count=1).strip()


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not clean(value).strip()
    if isinstance(value, list | tuple):
        return all(_is_blank(item) for item in value)
    return False


def _parse_date(name: str, value: Any) -> dt.date:
    if isinstance(value, Mapping) and "on" in value:  # a recorded event (app.clocks.StartEvent)
        value = value["on"]
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    label = FIELDS[name][0]
    raise DocumentError(f"字段 {name}（{label}）不是有效日期，应为 YYYY-MM-DD 格式：{value!r}")


class Values:
    """Read-only, validated view of the fields of one document."""

    def __init__(self, raw: Mapping[str, Any], required: tuple[str, ...]) -> None:
        if not isinstance(raw, Mapping):
            raise DocumentError("公文字段必须以键值对（字典）形式提供")
        missing = [name for name in required if _is_blank(raw.get(name))]
        if missing:
            names = "、".join(f"{name}（{FIELDS[name][0]}）" for name in missing)
            raise DocumentError(f"缺少必填字段：{names}")
        self._raw = raw
        # Validate every known field that was supplied, required or not.
        for name, (_label, ftype) in FIELDS.items():
            if not _is_blank(raw.get(name)):
                if ftype is FieldType.DATE:
                    self.date_value(name)
                elif ftype is FieldType.FLAG:
                    self.flag(name)
                elif ftype is FieldType.WHEN:
                    self.text(name)

    def has(self, name: str) -> bool:
        return not _is_blank(self._raw.get(name))

    def text(self, name: str) -> str:
        """One-line text for use inside a sentence; ``（未填写）`` when missing."""
        if not self.has(name):
            return MISSING
        ftype = FIELDS[name][1]
        value = self._raw[name]
        if ftype is FieldType.DATE:
            return format_date(self.date_value(name))
        if ftype is FieldType.WHEN:
            return self._when(value)
        if ftype is FieldType.LINES:
            return "；".join(self.lines(name))
        lines = [line.strip() for line in clean(str(value)).split("\n")]
        joined = " ".join(line for line in lines if line)
        if name in _FRAGMENTS:
            joined = joined.rstrip(_TRAILING_PUNCT)
        return joined or MISSING

    def date_value(self, name: str) -> dt.date:
        return _parse_date(name, self._raw.get(name))

    def lines(self, name: str) -> list[str]:
        """Non-empty lines of a multi-line field (a string or a sequence of strings)."""
        value = self._raw.get(name)
        if value is None:
            return []
        items = [value] if isinstance(value, str) else list(value)
        result: list[str] = []
        for item in items:
            if item is None:
                continue
            for line in clean(str(item)).split("\n"):
                if line.strip():
                    result.append(line.strip())
        return result

    def flag(self, name: str) -> bool:
        value = self._raw.get(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        label = FIELDS[name][0]
        raise DocumentError(f"字段 {name}（{label}）应为“是”或“否”：{value!r}")

    def submitted_on(self, *task_ids: str) -> str:
        """The day the latest of these tasks was submitted, as the product recorded it (the
        ``submitted_days`` the documents service supplies); empty when none was."""
        days = self._raw.get("submitted_days") or {}
        found = [_parse_date("submitted_days", days[t]) for t in task_ids if days.get(t)]
        return format_date(max(found)) if found else ""

    def period(self, document: str) -> str:
        """The period the deadline this document starts gives, in the diagram's own terms:
        ``自收到本通知书之日起3个工作日内``; empty when the diagram gives none it can state.

        ``next_period`` (supplied by the documents service from the deadline's clock):
        ``{"words": "3个工作日", "start": "received" | "submitted" | "event" | "", "what": …}``.
        """
        period = self._raw.get("next_period")
        if not isinstance(period, Mapping) or not period.get("words"):
            return ""
        start = str(period.get("start") or "")
        what = clean(str(period.get("what") or "")).strip()
        if start == "received":
            since = f"自收到{document}之日起"
        elif what:
            since = f"自{what}之日起"
        else:
            since = "自起算之日起"
        return f"{since}{clean(str(period['words']))}内"

    def _when(self, value: Any) -> str:
        if isinstance(value, dt.datetime):
            return format_date(value.date()) + f"{value.hour}时{value.minute:02d}分"
        if isinstance(value, dt.date):
            return format_date(value)
        text = clean(str(value)).strip()
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            return " ".join(part.strip() for part in text.split("\n") if part.strip())
        if len(text) <= 10:  # a bare date
            return format_date(parsed.date())
        return self._when(parsed)
