"""Tests for app.documents: official documents (公文) after GB/T 9704-2012."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from typing import Any

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from app.documents import DOCUMENT_KINDS as KINDS
from app.documents import REQUIRED_FIELDS, DocumentError, render_document

COMMON: dict[str, Any] = {
    "doc_no": "洪调交〔2026〕12号",
    "issued_on": "2026-10-12",
    "issuer": "洪泽区行政争议调处中心",
    "court_case_no": "（2026）苏0813行初45号",
    "plaintiff": "张某某",
    "agency_name": "淮安市洪泽区市场监督管理局",
    "subject": "行政处罚",
    "claims": "撤销洪市监罚〔2026〕8号行政处罚决定书",
    "court": "淮安市洪泽区人民法院",
}

EXTRA: dict[str, dict[str, Any]] = {
    "assignment_notice": {
        "materials_summary": "起诉状副本1份\n行政处罚决定书复印件1份",
        "received_on": "2026-10-09",
        "reply_due": "2026-10-15",
        "next_period": {"words": "3个工作日", "start": "received", "what": "任务送达本单位"},
    },
    "mediation_agreement": {
        "mediation_time": "2026-10-20 14:30",
        "mediation_place": "区行政争议调处中心第一调解室",
        "agreement_terms": "1. 乙方对原处罚决定重新审查\n\n2、甲方配合提供经营资料",
        "withdrawal_explained": True,
        "authorised_persons": "李某（甲方委托代理人）",
    },
    "termination_notice": {
        "termination_reason": "乙方未在规定期限内参与调处",
        "mediation_time": "2026-10-20",
    },
    "termination_letter": {
        "termination_reason": "双方经调处未能达成一致意见",
        "materials_list": "起诉状副本1份\n证据材料复印件12页",
    },
}

# Strings that each kind must contain (beyond title, doc_no, issuer, date).
KEY_TEXT: dict[str, list[str]] = {
    "assignment_notice": [
        "淮安市洪泽区市场监督管理局：",
        "请你单位自收到本通知书之日起3个工作日内",
        "负责化解工作的责任领导",
        "行政争议化解联络人",
        "初步调处意向方案",
        "告知区调处中心",
        "请于2026年10月15日前",
        "2026年10月9日",
        "起诉状副本1份",
        "（2026）苏0813行初45号",
        "一、案件基本情况",
    ],
    "mediation_agreement": [
        "甲方（行政相对人）：张某某",
        "乙方（案涉行政机关）：淮安市洪泽区市场监督管理局",
        "李某（甲方委托代理人）",
        "2026年10月20日14时30分",
        "区行政争议调处中心第一调解室",
        "（一）乙方对原处罚决定重新审查。",
        "（二）甲方配合提供经营资料。",
        "撤回行政诉讼",
        "签字（盖章）：",
        "调处中心：洪泽区行政争议调处中心",
    ],
    "termination_notice": [
        "张某某、淮安市洪泽区市场监督管理局：",
        "因乙方未在规定期限内参与调处",
        "终止本案调处工作",
        "本中心于2026年10月20日组织双方进行了调处。",
        "回归淮安市洪泽区人民法院",
    ],
    "termination_letter": [
        "淮安市洪泽区人民法院：",
        "因双方经调处未能达成一致意见",
        "随函退回",
        "1.起诉状副本1份",
        "2.证据材料复印件12页",
        "特此函告。",
    ],
}

ALL_KINDS = sorted(EXTRA)


def fields_for(kind: str, **overrides: Any) -> dict[str, Any]:
    return {**COMMON, **EXTRA[kind], **overrides}


def open_docx(data: bytes) -> DocxDocument:
    return Document(io.BytesIO(data))


def render(kind: str, **overrides: Any) -> DocxDocument:
    return open_docx(render_document(kind, fields_for(kind, **overrides)))


def full_text(doc: DocxDocument) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def paragraph(doc: DocxDocument, text: str) -> Paragraph:
    matches = [p for p in doc.paragraphs if p.text == text]
    assert matches, f"no paragraph {text!r}"
    return matches[0]


def east_asia_font(run: Run) -> str | None:
    rpr = run._r.rPr
    assert rpr is not None and rpr.rFonts is not None
    return rpr.rFonts.get(qn("w:eastAsia"))


def ascii_font(run: Run) -> str | None:
    rpr = run._r.rPr
    assert rpr is not None and rpr.rFonts is not None
    return rpr.rFonts.get(qn("w:ascii"))


def body_paragraphs(doc: DocxDocument) -> list[Paragraph]:
    """Body text: first-line indent of two characters and not a heading."""
    result = []
    for p in doc.paragraphs:
        indent = p.paragraph_format.first_line_indent
        is_indented = indent is not None and abs(indent.pt - 32) < 0.01
        if p.runs and is_indented and east_asia_font(p.runs[0]) != "黑体":
            result.append(p)
    return result


def test_document_kinds() -> None:
    assert KINDS["assignment_notice"] == "行政争议调处交办通知书"
    assert KINDS["mediation_agreement"] == "行政争议调处协议"
    assert KINDS["termination_notice"] == "行政争议终止调处通知书"
    assert KINDS["termination_letter"] == "行政争议终止调处告知函"
    assert set(REQUIRED_FIELDS) == set(KINDS)
    assert issubclass(DocumentError, ValueError)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_title_and_key_fields(kind: str) -> None:
    doc = render(kind)
    text = full_text(doc)
    title = paragraph(doc, KINDS[kind])
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    doc_no = paragraph(doc, "洪调交〔2026〕12号")
    assert doc_no.alignment == WD_ALIGN_PARAGRAPH.CENTER
    # The document number comes right after the issuing-body line (and a blank line).
    texts = [p.text for p in doc.paragraphs]
    assert texts.index("洪泽区行政争议调处中心") < texts.index("洪调交〔2026〕12号")
    assert texts.index("洪调交〔2026〕12号") < texts.index(KINDS[kind])
    assert "2026年10月12日" in text
    for key in KEY_TEXT[kind]:
        assert key in text, key
    assert doc.core_properties.title == KINDS[kind]


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_page_setup_a4_and_margins(kind: str) -> None:
    section = render(kind).sections[0]
    expected = {
        "page_width": 210,
        "page_height": 297,
        "top_margin": 37,
        "bottom_margin": 35,
        "left_margin": 28,
        "right_margin": 26,
    }
    for attr, mm in expected.items():
        value = getattr(section, attr)
        assert value is not None
        assert abs(value.mm - mm) <= 0.5, (attr, value.mm)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_fonts_and_spacing(kind: str) -> None:
    doc = render(kind)
    title_run = paragraph(doc, KINDS[kind]).runs[0]
    assert title_run.font.size is not None and title_run.font.size.pt == 22
    assert east_asia_font(title_run) == "方正小标宋简体"
    assert ascii_font(title_run) == "方正小标宋简体"

    bodies = body_paragraphs(doc)
    assert bodies
    for p in bodies:
        fmt = p.paragraph_format
        assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY
        assert fmt.line_spacing is not None and fmt.line_spacing.pt == 28
        for run in p.runs:
            assert east_asia_font(run) == "仿宋_GB2312"
            assert ascii_font(run) == "仿宋_GB2312"
            assert run.font.size is not None and run.font.size.pt == 16

    headings = [p for p in doc.paragraphs if p.text[:2] in {"一、", "二、", "三、", "四、"}]
    for p in headings:
        assert east_asia_font(p.runs[0]) == "黑体"
        assert p.runs[0].font.size is not None and p.runs[0].font.size.pt == 16

    normal = doc.styles["Normal"]
    assert normal.font.size is not None and normal.font.size.pt == 16
    rpr = normal.element.rPr
    assert rpr is not None and rpr.rFonts is not None
    assert rpr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_headings_exist_in_notice_and_agreement() -> None:
    for kind in ("assignment_notice", "mediation_agreement"):
        doc = render(kind)
        heading = next(p for p in doc.paragraphs if p.text.startswith("一、"))
        assert east_asia_font(heading.runs[0]) == "黑体"


@pytest.mark.parametrize("kind", ["assignment_notice", "termination_notice", "termination_letter"])
def test_recipient_and_signature_layout(kind: str) -> None:
    doc = render(kind)
    recipient = next(p for p in doc.paragraphs if p.text.endswith("："))
    assert recipient.alignment == WD_ALIGN_PARAGRAPH.LEFT
    indent = recipient.paragraph_format.first_line_indent
    assert indent is None or indent.pt == 0
    unit, date = doc.paragraphs[-2], doc.paragraphs[-1]
    assert unit.text == "洪泽区行政争议调处中心"
    assert date.text == "2026年10月12日"
    assert unit.alignment == date.alignment == WD_ALIGN_PARAGRAPH.RIGHT


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_page_number_footer(kind: str) -> None:
    doc = render(kind)
    section = doc.sections[0]
    for footer in (section.footer, section.even_page_footer):
        p = footer.paragraphs[0]
        xml = p._p.xml
        assert "PAGE" in xml and 'w:fldCharType="begin"' in xml
        assert p.text.startswith("— ") and p.text.endswith(" —")
        for run in p.runs:
            assert east_asia_font(run) == "宋体"
            assert run.font.size is not None and run.font.size.pt == 14
    assert section.footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert section.even_page_footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_deterministic_bytes(kind: str) -> None:
    first = render_document(kind, fields_for(kind))
    second = render_document(kind, fields_for(kind))
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    # A date object gives the same document as the ISO string.
    third = render_document(kind, fields_for(kind, issued_on=dt.date(2026, 10, 12)))
    assert third == first
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        assert {info.date_time for info in package.infolist()} == {(2026, 10, 12, 0, 0, 0)}
    props = open_docx(first).core_properties
    assert props.created == props.modified
    assert props.created is not None and props.created.date() == dt.date(2026, 10, 12)


def test_different_input_gives_different_bytes() -> None:
    a = render_document("termination_notice", fields_for("termination_notice"))
    b = render_document("termination_notice", fields_for("termination_notice", plaintiff="王某"))
    assert a != b


def test_unknown_kind() -> None:
    with pytest.raises(DocumentError, match="未知的公文类型"):
        render_document("no_such_kind", COMMON)


@pytest.mark.parametrize(
    ("kind", "name"), [(kind, name) for kind in ALL_KINDS for name in REQUIRED_FIELDS[kind]]
)
def test_missing_required_field(kind: str, name: str) -> None:
    fields = fields_for(kind)
    del fields[name]
    with pytest.raises(DocumentError, match="缺少必填字段") as info:
        render_document(kind, fields)
    assert name in str(info.value)
    fields[name] = "   "  # blank counts as missing
    with pytest.raises(DocumentError):
        render_document(kind, fields)


def test_invalid_values_raise() -> None:
    with pytest.raises(DocumentError, match="有效日期"):
        render_document("assignment_notice", fields_for("assignment_notice", issued_on="明天"))
    with pytest.raises(DocumentError, match="有效日期"):
        render_document(
            "assignment_notice", fields_for("assignment_notice", reply_due="2026-13-01")
        )
    with pytest.raises(DocumentError):
        render_document(
            "mediation_agreement", fields_for("mediation_agreement", withdrawal_explained="也许")
        )
    with pytest.raises(DocumentError):
        render_document("assignment_notice", ["not", "a", "mapping"])  # type: ignore[arg-type]


def test_optional_fields_render_placeholder() -> None:
    fields = fields_for("mediation_agreement")
    del fields["authorised_persons"], fields["court_case_no"], fields["claims"]
    text = full_text(open_docx(render_document("mediation_agreement", fields)))
    assert "委托代理人及参加人员：（未填写）" in text
    assert "案号：（未填写）" in text
    assert "诉讼请求为：（未填写）" in text


def test_reply_due_only_when_given() -> None:
    fields = fields_for("assignment_notice")
    del fields["reply_due"]
    text = full_text(open_docx(render_document("assignment_notice", fields)))
    assert "请于" not in text
    assert "自收到本通知书之日起3个工作日内" in text


def _notice_text(**changes: Any) -> str:
    return full_text(
        open_docx(render_document("assignment_notice", fields_for("assignment_notice", **changes)))
    )


def test_the_notice_states_the_period_its_deadline_counts() -> None:
    """The period is the diagram's, never fixed text: five working days say five, a period
    from another event names it, and a notice without a period states none."""
    five = {"words": "5个工作日", "start": "received", "what": "任务送达本单位"}
    text = _notice_text(next_period=five)
    assert "自收到本通知书之日起5个工作日内" in text and "3个工作日" not in text
    other = {"words": "3个工作日", "start": "submitted", "what": "“登记材料并发送交办通知书”提交"}
    text = _notice_text(next_period=other)
    assert "自“登记材料并发送交办通知书”提交之日起3个工作日内" in text
    fields = fields_for("assignment_notice")
    del fields["next_period"]
    text = full_text(open_docx(render_document("assignment_notice", fields)))
    assert "请你单位按期" in text and "个工作日内" not in text


def test_withdrawal_not_explained() -> None:
    text = full_text(render("mediation_agreement", withdrawal_explained="否"))
    assert "尚未向甲方释明撤回行政诉讼" in text
    assert "已向甲方释明" not in text


def test_agreement_signature_blocks() -> None:
    doc = render("mediation_agreement")
    texts = [p.text for p in doc.paragraphs]
    assert texts.count("签字（盖章）：") == 3
    for label in ("甲方：张某某", "乙方：淮安市洪泽区市场监督管理局"):
        i = texts.index(label)
        assert texts[i + 1] == "签字（盖章）："
        assert texts[i + 2].startswith("日期：")
    assert texts[-1] == "日期：2026年10月12日"


def test_termination_notice_without_mediation_time() -> None:
    fields = fields_for("termination_notice")
    del fields["mediation_time"]
    text = full_text(open_docx(render_document("termination_notice", fields)))
    assert "组织双方进行了调处" not in text
    assert "终止本案调处工作" in text


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_user_text_is_literal(kind: str) -> None:
    nasty = "X<w:t>&amp;</w:t>\"'<script>]]>"
    data = render_document(
        kind, fields_for(kind, plaintiff=nasty, subject=f"{nasty}\x01\x0b争议", court="某&法院")
    )
    doc = open_docx(data)  # still well-formed XML
    text = full_text(doc)
    assert nasty in text
    assert f"{nasty}争议" in text  # control characters dropped
    assert "某&法院" in text
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        xml = package.read("word/document.xml").decode("utf-8")
    assert "<w:t>&amp;</w:t>\"'<script>" not in xml
    assert "X&lt;w:t&gt;&amp;amp;&lt;/w:t&gt;" in xml


def test_long_issuer_and_many_clauses() -> None:
    terms = "\n".join(f"第{i}项约定" for i in range(1, 13))
    doc = render(
        "mediation_agreement",
        issuer="江苏省淮安市洪泽区行政争议调处中心（洪泽区行政复议与诉讼协调办公室）",
        agreement_terms=terms,
    )
    text = full_text(doc)
    assert "（十二）第12项约定。" in text
    masthead = doc.paragraphs[0].runs[0]
    assert masthead.font.size is not None and 16 <= masthead.font.size.pt <= 26
