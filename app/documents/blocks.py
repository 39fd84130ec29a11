"""Plain data describing the content of an official document, independent of python-docx."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Role(Enum):
    """How a paragraph is laid out (see ``render.py``)."""

    BODY = "body"  # 仿宋 3号, first-line indent 2 characters, justified
    HEADING = "heading"  # "一、" level heading: 黑体 3号, first-line indent 2 characters
    RECIPIENT = "recipient"  # 主送机关: flush left, no indent
    PARTY = "party"  # signature block lines of an agreement: left indent 2 characters
    BLANK = "blank"  # an empty body line


@dataclass(frozen=True)
class Para:
    role: Role
    text: str = ""


@dataclass(frozen=True)
class Signature:
    """Issuing unit and date (成文日期), right-aligned at the end of the document."""

    unit: str
    date: str


@dataclass(frozen=True)
class Table:
    """A table of the body (a report's figures): a header row, then the rows, all text."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Para | Signature | Table


@dataclass(frozen=True)
class DocumentSpec:
    """Everything the renderer needs: header (版头), title, body blocks and metadata."""

    kind: str
    title: str
    issuer: str
    doc_no: str
    blocks: list[Block] = field(default_factory=list)


def body(text: str) -> Para:
    return Para(Role.BODY, text)


def heading(text: str) -> Para:
    return Para(Role.HEADING, text)


def recipient(name: str) -> Para:
    """主送机关 line; the full-width colon is appended here."""
    return Para(Role.RECIPIENT, f"{name}：")


def party(text: str) -> Para:
    return Para(Role.PARTY, text)


def blank() -> Para:
    return Para(Role.BLANK)
