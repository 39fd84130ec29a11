"""Lay out a :class:`~.blocks.DocumentSpec` as a .docx after GB/T 9704-2012.

A4 paper; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; title 2号
方正小标宋简体; body 3号 仿宋_GB2312 at a fixed 28 pt line pitch with a two-character
first-line indent; "一、" headings in 3号 黑体; page numbers "— 1 —" in 4号 宋体
(odd pages right, even pages left, one character in from the edge).

The output is byte-for-byte deterministic: core properties and zip timestamps are
derived from the issue date, and python-docx adds no random ids.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import zipfile
from dataclasses import dataclass

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.oxml.text.parfmt import CT_PPr
from docx.oxml.text.run import CT_R
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from lxml import etree

from .blocks import DocumentSpec, Para, Role, Signature, Table

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
PAGE_NUMBER_FONT = "宋体"

TITLE_SIZE = 22.0  # 2号
BODY_SIZE = 16.0  # 3号
PAGE_NUMBER_SIZE = 14.0  # 4号
ISSUER_MAX_SIZE = 26.0  # 发文机关标志 (一号), shrunk for long names
LINE_PITCH = 28.0  # fixed line spacing of the body
TITLE_LINE_PITCH = 36.0
CHAR = BODY_SIZE  # one character of body text, in pt
TEXT_WIDTH_PT = (210 - 28 - 26) / 25.4 * 72  # 版心 width, about 442 pt
RED = RGBColor(0xFF, 0x00, 0x00)

J = WD_ALIGN_PARAGRAPH


@dataclass(frozen=True)
class Look:
    """Direct formatting of one paragraph and its runs."""

    font: str = BODY_FONT
    size: float = BODY_SIZE
    align: J = J.JUSTIFY
    first_line: float = 0.0  # pt
    left: float = 0.0  # pt
    right: float = 0.0  # pt
    line: float = LINE_PITCH  # pt, exact
    color: RGBColor | None = None
    keep_with_next: bool = False


ROLE_LOOKS: dict[Role, Look] = {
    Role.BODY: Look(first_line=2 * CHAR),
    Role.HEADING: Look(font=HEADING_FONT, first_line=2 * CHAR, keep_with_next=True),
    Role.RECIPIENT: Look(align=J.LEFT, keep_with_next=True),
    Role.PARTY: Look(align=J.LEFT, left=2 * CHAR, keep_with_next=True),
    Role.BLANK: Look(),
}


def text_width(text: str) -> float:
    """Width in characters: ASCII (half-width) counts 0.5, everything else 1."""
    return sum(0.5 if ord(ch) < 0x80 else 1.0 for ch in text)


def set_run_font(r: CT_R, font: str, size: float, color: RGBColor | None = None) -> None:
    """Set ascii/hAnsi/eastAsia/cs font names, size and colour on a ``w:r`` element."""
    if r.rPr is None:  # a new run: a copy of the same properties built once
        r.insert(0, parse_xml(_run_properties(font, size, color)))
        return
    _set_run_font(r, font, size, color)


def _set_run_font(r: CT_R, font: str, size: float, color: RGBColor | None) -> None:
    rpr = r.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), font)
    rpr.sz_val = Pt(size)
    if color is not None:
        rpr.get_or_add_color().set(qn("w:val"), str(color))


@functools.cache
def _run_properties(font: str, size: float, color: RGBColor | None) -> bytes:
    """The ``w:rPr`` a run of this font, size and colour gets, as XML (python-docx builds an
    element at a time; a report's hundred cells made that most of its rendering time; XML,
    not an element, so that threads share nothing they could change)."""
    run = OxmlElement("w:r")
    _set_run_font(run, font, size, color)
    return etree.tostring(run.find(qn("w:rPr")))


def add_paragraph(doc: DocxDocument, text: str, look: Look) -> Paragraph:
    paragraph = doc.add_paragraph()
    style_paragraph(paragraph, look)
    if text:
        run = paragraph.add_run(text)  # python-docx escapes the text
        set_run_font(run._r, look.font, look.size, look.color)
    return paragraph


def style_paragraph(paragraph: Paragraph, look: Look) -> None:
    if paragraph._p.pPr is None:  # a new paragraph: a copy of the look's properties
        paragraph._p.insert(0, parse_xml(_paragraph_properties(look)))
        return
    _style_paragraph(paragraph, look)


@functools.cache
def _paragraph_properties(look: Look) -> bytes:
    """The ``w:pPr`` a paragraph of this look gets, as XML, built once."""
    paragraph = Paragraph(OxmlElement("w:p"), None)  # type: ignore[arg-type]
    _style_paragraph(paragraph, look)
    return etree.tostring(paragraph._p.pPr)


def _style_paragraph(paragraph: Paragraph, look: Look) -> None:
    fmt = paragraph.paragraph_format
    fmt.alignment = look.align
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(look.line)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.first_line_indent = Pt(look.first_line)
    fmt.left_indent = Pt(look.left)
    fmt.right_indent = Pt(look.right)
    if look.keep_with_next:
        fmt.keep_with_next = True
    # Paragraph mark formatting, so that empty lines have the right height too.
    mark = OxmlElement("w:r")
    _set_run_font(mark, look.font, look.size, look.color)
    paragraph._p.get_or_add_pPr().append(mark.find(qn("w:rPr")))


# Children of w:pPr that must follow w:pBdr (schema order, ECMA-376 §17.3.1.26).
_AFTER_PBDR = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


def add_bottom_border(paragraph: Paragraph, color: str = "FF0000", eighths: int = 12) -> None:
    """Red separator line (红色分隔线) under the paragraph, as wide as the 版心."""
    ppr: CT_PPr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (
        ("w:val", "single"),
        ("w:sz", str(eighths)),
        ("w:space", "8"),
        ("w:color", color),
    ):
        bottom.set(qn(key), value)
    border.append(bottom)
    ppr.insert_element_before(border, *_AFTER_PBDR)


def setup_page_and_styles(doc: DocxDocument) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(22)
    section.gutter = Mm(0)

    # Document defaults: explicit fonts instead of theme fonts, Chinese language.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        for rfonts in defaults.iter(qn("w:rFonts")):
            for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                rfonts.attrib.pop(qn(attr), None)
            for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                rfonts.set(qn(attr), BODY_FONT)
        for lang in defaults.iter(qn("w:lang")):
            lang.set(qn("w:eastAsia"), "zh-CN")
        for spacing in defaults.iter(qn("w:spacing")):
            spacing.set(qn("w:after"), "0")

    normal = doc.styles["Normal"]
    rfonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), BODY_FONT)
    normal.font.size = Pt(BODY_SIZE)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PITCH)
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    fmt.widow_control = True


def add_page_numbers(doc: DocxDocument) -> None:
    """Page numbers "— 1 —" in 4号 宋体: odd pages right, even left, one character in."""
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    one = PAGE_NUMBER_SIZE
    for footer, look in (
        (section.footer, Look(PAGE_NUMBER_FONT, one, J.RIGHT, right=one, line=one * 1.5)),
        (section.even_page_footer, Look(PAGE_NUMBER_FONT, one, J.LEFT, left=one, line=one * 1.5)),
    ):
        paragraph = footer.paragraphs[0]
        style_paragraph(paragraph, look)
        paragraph.add_run("— ")
        for char_type, instr in (("begin", None), (None, " PAGE "), ("separate", None)):
            run = paragraph.add_run()
            if instr is not None:
                element = OxmlElement("w:instrText")
                element.set(qn("xml:space"), "preserve")
                element.text = instr
            else:
                element = OxmlElement("w:fldChar")
                element.set(qn("w:fldCharType"), str(char_type))
            run._r.append(element)
        paragraph.add_run("1")  # cached result, replaced by the page number when shown
        end = paragraph.add_run()
        end_char = OxmlElement("w:fldChar")
        end_char.set(qn("w:fldCharType"), "end")
        end._r.append(end_char)
        paragraph.add_run(" —")
        for run in paragraph.runs:
            set_run_font(run._r, look.font, look.size)


def add_masthead(doc: DocxDocument, spec: DocumentSpec) -> None:
    """版头 (issuing body in red, document number, red line), then the title."""
    width = max(text_width(spec.issuer), 1.0)
    issuer_size = max(BODY_SIZE, min(ISSUER_MAX_SIZE, math.floor(TEXT_WIDTH_PT / width * 2) / 2))
    add_paragraph(
        doc,
        spec.issuer,
        Look(TITLE_FONT, issuer_size, J.CENTER, line=TITLE_LINE_PITCH, color=RED),
    )
    add_paragraph(doc, "", Look())
    doc_no = add_paragraph(doc, spec.doc_no, Look(align=J.CENTER))
    add_bottom_border(doc_no)
    add_paragraph(doc, "", Look())
    add_paragraph(doc, "", Look())
    add_paragraph(
        doc,
        spec.title,
        Look(TITLE_FONT, TITLE_SIZE, J.CENTER, line=TITLE_LINE_PITCH, keep_with_next=True),
    )
    add_paragraph(doc, "", Look())


def add_signature(doc: DocxDocument, signature: Signature) -> None:
    """Issuing unit centred over the date; date 4 characters in from the right margin."""
    date_right = 4.0
    unit_right = date_right + (text_width(signature.date) - text_width(signature.unit)) / 2
    keep = Look(keep_with_next=True)
    add_paragraph(doc, "", keep)
    add_paragraph(doc, "", keep)
    add_paragraph(
        doc,
        signature.unit,
        Look(align=J.RIGHT, right=max(unit_right, 0) * CHAR, keep_with_next=True),
    )
    add_paragraph(doc, signature.date, Look(align=J.RIGHT, right=date_right * CHAR))


def set_core_properties(doc: DocxDocument, spec: DocumentSpec, stamp: dt.datetime) -> None:
    props = doc.core_properties
    props.title = spec.title[:255]
    props.subject = spec.doc_no[:255]
    props.author = spec.issuer[:255]
    props.last_modified_by = spec.issuer[:255]
    props.keywords = spec.kind
    props.category = "公文"
    props.comments = ""
    props.revision = 1
    props.created = stamp
    props.modified = stamp
    # Drop the blank-page preview image inherited from python-docx's default template.
    package_rels = doc.part.package.rels
    for rid in [rid for rid, rel in package_rels.items() if rel.reltype == RT.THUMBNAIL]:
        del package_rels[rid]


def normalise_zip(data: bytes, stamp: dt.datetime) -> bytes:
    """Rewrite the package with fixed entry timestamps so the bytes are reproducible."""
    date_time = max(stamp, dt.datetime(1980, 1, 1)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


TABLE_SIZE = 14.0  # 4号: a table's text, smaller than the body
TABLE_LOOK = Look(size=TABLE_SIZE, align=J.CENTER, line=22.0)
TABLE_HEADER_LOOK = Look(font=HEADING_FONT, size=TABLE_SIZE, align=J.CENTER, line=22.0)


def add_table(doc: DocxDocument, table: Table) -> None:
    """A bordered table as wide as the 版心, its header in 黑体, the cells centred."""
    grid = doc.add_table(rows=1 + len(table.rows), cols=len(table.header))
    grid.style = "Table Grid"
    for row_index, texts in enumerate((table.header, *table.rows)):
        look = TABLE_HEADER_LOOK if row_index == 0 else TABLE_LOOK
        for cell, text in zip(grid.rows[row_index].cells, texts, strict=True):
            paragraph = cell.paragraphs[0]
            style_paragraph(paragraph, look)
            run = paragraph.add_run(text)
            set_run_font(run._r, look.font, look.size, look.color)
    add_paragraph(doc, "", ROLE_LOOKS[Role.BLANK])  # the body goes on below the table


def render_spec(spec: DocumentSpec, issued_on: dt.date) -> bytes:
    doc = Document()
    setup_page_and_styles(doc)
    body = doc.element.body
    for paragraph in body.findall(qn("w:p")):  # the template starts with no paragraphs,
        body.remove(paragraph)  # but be safe
    add_masthead(doc, spec)
    for block in spec.blocks:
        if isinstance(block, Signature):
            add_signature(doc, block)
        elif isinstance(block, Para):
            add_paragraph(doc, block.text, ROLE_LOOKS[block.role])
        elif isinstance(block, Table):
            add_table(doc, block)
    add_page_numbers(doc)
    stamp = dt.datetime(issued_on.year, issued_on.month, issued_on.day)
    set_core_properties(doc, spec, stamp)
    buffer = io.BytesIO()
    doc.save(buffer)
    return normalise_zip(buffer.getvalue(), stamp)
