"""Attachments shown inside the page: PDF and images as they are, .docx as sanitised HTML.

Opening a preview is reading the file, so it is the audited download (``downloads.attachment``,
which asks the read rule); only the form it is handed out in differs.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import mammoth
import nh3

from app.db import Database
from app.errors import InvalidInput, NotFound
from app.models import Attachment
from app.services.actor import Actor
from app.services.records import downloads
from app.services.reporting.labels import PREVIEW_KINDS

# what a converted Word document may keep: structure and emphasis, no scripts, styles or links
# out of the page (mammoth writes images as data: URIs, which the sanitiser drops)
DOCX_TAGS = {
    "p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "u", "s", "sub", "sup",
    "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "blockquote",
}  # fmt: skip
DOCX_ATTRIBUTES = {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


@dataclass
class Preview:
    attachment: Attachment
    kind: str  # pdf / image / docx / text
    path: Path
    html: str = ""  # for docx: the document as sanitised HTML


def docx_html(content: bytes) -> str:
    """A Word document as HTML fit to put in our page (mammoth, then nh3)."""
    try:
        result = mammoth.convert_to_html(io.BytesIO(content))
    except Exception as exc:  # a damaged file: the page says so, the download still works
        raise InvalidInput("该 Word 文件无法预览，请下载后查看") from exc
    return nh3.clean(result.value, tags=DOCX_TAGS, attributes=DOCX_ATTRIBUTES)


def preview(db: Database, actor: Actor, attachment_id: int, storage: Path) -> Preview:
    row = downloads.attachment(db, actor, attachment_id)  # audited, and asks the read rule
    kind = PREVIEW_KINDS.get(Path(row.name).suffix.lower())
    if kind is None:
        raise NotFound(f"该类型的附件不能在页面中预览，请下载：{row.name}")
    path = storage / row.storage_name
    if not path.is_file():
        raise NotFound(f"附件文件缺失：{row.name}（请管理员从完整备份恢复）")
    html = docx_html(path.read_bytes()) if kind == "docx" else ""
    return Preview(row, kind, path, html)
