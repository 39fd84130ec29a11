"""Court case numbers (案号) in one canonical form, so that a lookalike is the same number.

A number typed in a Chinese input method, pasted from a PDF or sent by a court's system arrives
as "（2026）苏0829行初1号", "(2026)苏0829行初1号", "（２０２６）苏０８２９行初１号", with a
zero-width space inside or a space after the bracket: one case, and it must be one row, found by
every search. ``normalize`` gives each the form courts print: Unicode NFKC (full-width digits
and letters become ASCII), every invisible character (format and control characters, spaces,
combining marks, fillers) removed, and every bracket around the year written as full-width
（）. Called wherever a case number enters: registration, court messages, searches, filters and
process data (``court_case_no``).
"""

from __future__ import annotations

import unicodedata
from typing import Any

FIELD = "court_case_no"  # a case number in process and task data
# categories a reader cannot see: format (zero-width, bidi marks), control, separators
# (spaces of every width), combining and enclosing marks (accents, variation selectors)
_INVISIBLE = {"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"}
# letters that render as blank space
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
_BRACKETS = str.maketrans(
    {**dict.fromkeys("([{〔【〖〘⦅", "（"), **dict.fromkeys(")]}〕】〗〙⦆", "）")}
)


def normalize(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text)
    visible = "".join(
        ch
        for ch in folded
        if unicodedata.category(ch) not in _INVISIBLE and ch not in _BLANK_LETTERS
    )
    return visible.translate(_BRACKETS)


def in_data(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its case number (if it has one) in canonical form; ``data`` itself when
    there is nothing to change."""
    value = data.get(FIELD)
    if not isinstance(value, str) or normalize(value) == value:
        return data
    return {**data, FIELD: normalize(value)}
