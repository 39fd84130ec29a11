"""Documents of mechanism 9 (process ``loss_review``, 败诉案件复盘整改).

- 《行政诉讼败诉案件复盘分析报告》 (``loss_review_report``): each losing agency's review of the
  lost case — 简要案情, 协调化解情况, 诉讼对接情况, 复议被纠错或者败诉原因, 分析结论 — signed by
  its head and sent to the Justice Bureau (《十项机制》第九条). Rendered by ``approve_review``.
- 《败诉案件整改方案及整改情况报告》 (``rectification_report``): the agency's rectification plan
  (responsibilities, measures, schedule, rules to improve) and how far it got, to the Justice
  Bureau within 10 working days of the review. Rendered by ``submit_rectification``.
- 《行政诉讼败诉案件分析报告》 (``bureau_analysis_report``): the Justice Bureau's own per-case
  analysis, signed by its head and reported to the district government. Rendered by
  ``bureau_head_approval``.

For a reconsideration decision that corrected the agency (行政复议被纠错, ``case_kind``
``reconsideration``) the same three documents speak of the decision instead of a judgment.

Fields come from the process's start data (the case fields, ``judgment_outcome``, the unit's
``judgment_received`` event) and forms, the days the product recorded tasks as submitted
(``Values.submitted_on``), plus the common fields ``doc_no``, ``issued_on``,
``issuer`` and ``agency_name`` that the product supplies for every document (for the agency's
documents ``agency_name`` is the reviewing unit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import fields as _fields
from .blocks import Block, Signature, body, heading, recipient
from .fields import FieldType, Values, chinese_number, strip_numbering
from .kind import MECHANISM, KindSpec

BUREAU = "区司法局"
GOVERNMENT = "区人民政府"

#: Fields of these documents (name -> Chinese label, type); registered into ``fields.FIELDS``
#: below (without replacing a name another module registered) so :class:`Values` can label,
#: validate and format them. Multi-line answers are read with ``Values.lines`` whatever the type.
FIELDS: dict[str, tuple[str, FieldType]] = {
    "judgment_outcome": ("裁判结果", FieldType.TEXT),
    "judgment_received_on": ("收到败诉裁判文书日期", FieldType.DATE),
    "judgment_received": ("收到裁判文书或复议决定日期", FieldType.DATE),
    "case_kind": ("案件类型", FieldType.TEXT),
    # 复盘分析报告
    "case_summary": ("简要案情", FieldType.LINES),
    "resolution_efforts": ("协调化解情况", FieldType.LINES),
    "litigation_liaison": ("诉讼对接情况", FieldType.LINES),
    "loss_reasons": ("复议被纠错或者败诉原因", FieldType.LINES),
    "reason_category": ("败诉原因类别", FieldType.TEXT),
    "conclusion": ("分析结论", FieldType.LINES),
    "approved": ("审签意见", FieldType.TEXT),
    "approval_comment": ("审签意见说明", FieldType.LINES),
    # 整改方案及整改情况
    "responsibilities": ("工作责任", FieldType.LINES),
    "measures": ("具体措施", FieldType.LINES),
    "schedule": ("时间进度", FieldType.LINES),
    "rules_to_improve": ("需健全完善的制度", FieldType.LINES),
    "rectification_status": ("整改工作情况", FieldType.LINES),
    # 区司法局分析报告
    "analysis": ("逐案分析", FieldType.LINES),
    "common_problems": ("共性问题", FieldType.LINES),
    "suggestions": ("意见建议", FieldType.LINES),
    "analyzed_on": ("分析日期", FieldType.DATE),
}
for _name, _spec in FIELDS.items():
    _fields.FIELDS.setdefault(_name, _spec)

COMMON: tuple[str, ...] = ("doc_no", "issued_on", "issuer", "agency_name")

_CLAUSE_END = "。．.，,；;、 \u3000"
_END_PUNCT = "。！？.!?：:"


def _sentence(text: str) -> str:
    """Close a user-typed clause with "。" (replacing a trailing "，" or "；")."""
    trimmed = text.rstrip(_CLAUSE_END) or text
    return trimmed if trimmed[-1] in _END_PUNCT else f"{trimmed}。"


def _paragraphs(v: Values, name: str) -> list[Block]:
    """One body paragraph per line of a multi-line answer (``（未填写）`` when empty)."""
    lines = v.lines(name)
    return [body(_sentence(line)) for line in lines] if lines else [body(v.text(name))]


def _numbered(v: Values, name: str) -> list[Block]:
    """``（一）…`` per line, numbering typed by the user replaced by ours."""
    items = [strip_numbering(line) or line for line in v.lines(name)]
    if not items:
        return [body(v.text(name))]
    return [body(f"（{chinese_number(i)}）{_sentence(item)}") for i, item in enumerate(items, 1)]


RECONSIDERATION = "reconsideration"


def _reconsideration(v: Values) -> bool:
    return v.has("case_kind") and v.text("case_kind") == RECONSIDERATION


def _titled(litigation: str, reconsideration: str) -> Callable[[Values], str]:
    return lambda v: reconsideration if _reconsideration(v) else litigation


def _decision(v: Values) -> str:
    """What the unit received: 败诉裁判文书, or the 行政复议决定书 that corrected it."""
    return "行政复议决定书" if _reconsideration(v) else "败诉裁判文书"


def _received_on(v: Values) -> str:
    for name in ("judgment_received", "judgment_received_on"):
        if v.has(name):
            return v.text(name)
    return ""


def _case(v: Values) -> str:
    """``原告张三因征收补偿提起行政诉讼一案（洪泽区人民法院案号：…）``, or for a reconsideration
    ``申请人张三因征收补偿申请行政复议一案（复议机关，复议决定书文号：…）``.

    Neutral about the defendant: a lost case may have co-defendants, or the district government
    as defendant with the reviewing unit as the one that actually acted.
    """
    if _reconsideration(v):
        where = [v.text("court")] if v.has("court") else []
        if v.has("court_case_no"):
            where.append(f"复议决定书文号：{v.text('court_case_no')}")
        detail = f"（{'，'.join(where)}）" if where else ""
        return f"申请人{v.text('plaintiff')}因{v.text('subject')}申请行政复议一案{detail}"
    where = []
    if v.has("court"):
        where.append(v.text("court"))
    if v.has("court_case_no"):
        where.append(f"案号：{v.text('court_case_no')}")
    detail = f"（{'，'.join(where)}）" if where else ""
    return f"原告{v.text('plaintiff')}因{v.text('subject')}提起行政诉讼一案{detail}"


def _outcome(v: Values) -> str:
    """``，人民法院判决…`` clause with the outcome, or nothing when it is not known."""
    if not v.has("judgment_outcome"):
        return ""
    said = "复议决定" if _reconsideration(v) else "裁判结果"
    return f"，{said}为{v.text('judgment_outcome').rstrip(_CLAUSE_END)}"


def _returned(v: Values) -> bool:
    return v.has("approved") and v.text("approved") == "no"


def _signature(v: Values) -> Signature:
    return Signature(unit=v.text("issuer"), date=v.text("issued_on"))


def build_loss_review_report(v: Values) -> list[Block]:
    """行政诉讼败诉案件复盘分析报告: one losing agency's review, signed by its head."""
    on = _received_on(v)
    received = f"本单位于{on}收到{_decision(v)}。" if on else ""
    written = v.submitted_on("write_review")
    started = f"于{written}" if written else ""
    blocks: list[Block] = [
        recipient(BUREAU),
        body(
            f"{_case(v)}{_outcome(v)}。{received}按照“一案一复盘”“谁败诉谁复盘”原则和"
            f"{MECHANISM}关于建立败诉案件复盘和整改机制的规定，本单位作为复盘分析责任单位，"
            f"{started}对该案开展了复盘分析，现将有关情况报告如下。"
        ),
        heading("一、简要案情"),
        *_paragraphs(v, "case_summary"),
        heading("二、协调化解情况"),
        *_paragraphs(v, "resolution_efforts"),
        heading("三、诉讼对接情况"),
        *_paragraphs(v, "litigation_liaison"),
        heading("四、复议被纠错或者败诉原因"),
    ]
    if v.has("reason_category"):
        blocks.append(body(f"败诉原因类别：{v.text('reason_category')}。"))
    blocks += [
        *_paragraphs(v, "loss_reasons"),
        heading("五、分析结论"),
        *_paragraphs(v, "conclusion"),
        heading("六、审签"),
    ]
    approved = v.submitted_on("approve_review")
    when = f"于{approved}" if approved else ""
    if _returned(v):
        comment = v.text("approval_comment") if v.has("approval_comment") else ""
        blocks.append(
            body(
                f"本报告经本单位主要负责人{when}审签，退回修改"
                + (f"，修改要求：{_sentence(comment)}" if comment else "。")
            )
        )
    else:
        blocks.append(body(f"本报告已经本单位主要负责人{when}审签同意，现移送{BUREAU}。"))
    blocks += [body("特此报告。"), _signature(v)]
    return blocks


def build_rectification_report(v: Values) -> list[Block]:
    """败诉案件整改方案及整改情况报告: the agency's plan and progress, to the Justice Bureau."""
    blocks: list[Block] = [
        recipient(BUREAU),
        body(
            f"针对{_case(v)}中暴露出的问题，本单位按照{MECHANISM}关于建立败诉案件复盘和整改"
            "机制的规定制定了整改方案，明确工作责任、具体措施及时间进度，健全完善相关制度，"
            "避免再次发生同类行政复议被纠错或者行政诉讼败诉案件。现将整改方案及整改工作情况"
            "报告如下。"
        ),
        heading("一、工作责任"),
        *_paragraphs(v, "responsibilities"),
        heading("二、具体措施"),
        *_numbered(v, "measures"),
        heading("三、时间进度"),
        *_paragraphs(v, "schedule"),
        heading("四、健全完善相关制度"),
    ]
    if v.has("rules_to_improve"):
        blocks += _paragraphs(v, "rules_to_improve")
    else:
        blocks.append(body("经梳理，本案暴露的问题不涉及需新建或修订的制度。"))
    blocks += [
        heading("五、整改工作情况"),
        *_paragraphs(v, "rectification_status"),
        body("特此报告。"),
        _signature(v),
    ]
    return blocks


@dataclass(frozen=True)
class _FactLabels:
    party: str
    organ: str
    number: str
    outcome: str


_LAWSUIT = _FactLabels("原告", "审理法院", "案号", "裁判结果")
_RECONSIDERATION = _FactLabels("申请人", "复议机关", "复议决定书文号", "复议决定")


def build_bureau_analysis_report(v: Values) -> list[Block]:
    """行政诉讼败诉案件分析报告: the Justice Bureau's per-case analysis, to the government; a
    reconsideration's facts under its own names (申请人, 复议机关, 复议决定), not a lawsuit's."""
    labels = _RECONSIDERATION if _reconsideration(v) else _LAWSUIT
    blocks: list[Block] = [
        recipient(GOVERNMENT),
        body(
            f"{_case(v)}{_outcome(v)}。根据{MECHANISM}关于建立败诉案件复盘和整改机制的规定，"
            "在败诉行政机关复盘分析和整改的基础上，我局对该案进行了逐案分析，现将有关情况"
            "报告如下。"
        ),
        heading("一、案件基本情况"),
        body(f"{labels.party}：{v.text('plaintiff')}"),
    ]
    if v.has("agency_name"):
        blocks.append(body(f"案涉行政机关：{v.text('agency_name')}"))
    blocks.append(body(f"案由：{v.text('subject')}"))
    if v.has("court"):
        blocks.append(body(f"{labels.organ}：{v.text('court')}"))
    if v.has("court_case_no"):
        blocks.append(body(f"{labels.number}：{v.text('court_case_no')}"))
    if v.has("judgment_outcome"):
        blocks.append(body(f"{labels.outcome}：{v.text('judgment_outcome')}"))
    if _received_on(v):
        blocks.append(body(f"收到{_decision(v)}日期：{_received_on(v)}"))
    blocks += [heading("二、逐案分析"), *_paragraphs(v, "analysis")]
    number = 3
    if v.has("common_problems"):
        blocks += [
            heading(f"{chinese_number(number)}、存在的共性问题"),
            *_paragraphs(v, "common_problems"),
        ]
        number += 1
    if v.has("suggestions"):
        blocks += [heading(f"{chinese_number(number)}、意见建议"), *_numbered(v, "suggestions")]
    if _returned(v):
        comment = v.text("approval_comment") if v.has("approval_comment") else ""
        blocks.append(
            body(
                "本报告经我局主要负责人审签，退回修改"
                + (f"，修改要求：{_sentence(comment)}" if comment else "。")
            )
        )
    else:
        blocks.append(body("本报告已经我局主要负责人审签。"))
    blocks += [body("特此报告。"), _signature(v)]
    return blocks


KINDS: dict[str, KindSpec] = {
    "loss_review_report": KindSpec(
        title="行政诉讼败诉案件复盘分析报告",
        title_for=_titled("行政诉讼败诉案件复盘分析报告", "行政复议被纠错案件复盘分析报告"),
        required=(
            *COMMON,
            "plaintiff",
            "subject",
            "case_summary",
            "resolution_efforts",
            "litigation_liaison",
            "loss_reasons",
            "conclusion",
        ),
        build=build_loss_review_report,
    ),
    "rectification_report": KindSpec(
        title="败诉案件整改方案及整改情况报告",
        title_for=_titled("败诉案件整改方案及整改情况报告", "复议被纠错案件整改方案及整改情况报告"),
        required=(
            *COMMON,
            "plaintiff",
            "subject",
            "responsibilities",
            "measures",
            "schedule",
            "rectification_status",
        ),
        build=build_rectification_report,
    ),
    "bureau_analysis_report": KindSpec(
        title="行政诉讼败诉案件分析报告",
        title_for=_titled("行政诉讼败诉案件分析报告", "行政复议被纠错案件分析报告"),
        required=("doc_no", "issued_on", "issuer", "plaintiff", "subject", "analysis"),
        build=build_bureau_analysis_report,
    ),
}
