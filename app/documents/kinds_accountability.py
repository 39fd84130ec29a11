"""Documents of mechanism 10, 败诉主观过错责任追究.

Processes ``loss_rate_interview`` and ``fault_determination``:

- 《败诉率约谈记录》 (``interview_record``): a district leader interviews the head of a unit
  whose loss rate (败诉率) for a period is above the threshold; the record gives the numbers
  behind the rate, the interview, the rectification requirements and whether the head must make
  a statement at a district-government meeting. Rendered by ``record_interview``; issued by the
  district government.
- 《行政败诉案件主观过错责任移送函》 (``discipline_transfer_letter``): the bureau transfers a lost
  case found to involve subjective fault to the district discipline-inspection organ
  (淮委法办〔2023〕16号). Rendered by ``issue_transfer``.

Fields come from those processes' start data and forms, plus the common fields ``doc_no``,
``issued_on``, ``issuer`` and ``agency_name`` (for the transfer letter, the name of the
responsible unit chosen in ``determine_fault``) that the product supplies for every document.
"""

from __future__ import annotations

from . import fields as _fields
from .blocks import Block, Signature, blank, body, heading, party, recipient
from .fields import FieldType, Values, chinese_number, strip_numbering
from .kind import MECHANISM, KindSpec

#: Fields of these documents (name -> Chinese label, type); registered into ``fields.FIELDS``
#: below (without replacing a name another module registered) so :class:`Values` can label,
#: validate and format them.
FIELDS: dict[str, tuple[str, FieldType]] = {
    # 败诉率约谈
    "unit_name": ("被约谈单位", FieldType.TEXT),
    "unit_code": ("单位代码", FieldType.TEXT),
    "period": ("评价期间", FieldType.TEXT),
    "lost_cases": ("败诉案件数", FieldType.TEXT),
    "concluded_cases": ("审结案件数", FieldType.TEXT),
    "loss_rate": ("败诉率", FieldType.TEXT),
    "threshold": ("败诉率评价阈值", FieldType.TEXT),
    "interview_time": ("约谈时间", FieldType.WHEN),
    "interview_place": ("约谈地点", FieldType.TEXT),
    "leader_name": ("约谈区领导", FieldType.TEXT),
    "attendees": ("参加人员", FieldType.LINES),
    "head_name": ("被约谈主要负责人", FieldType.TEXT),
    "interview_record": ("约谈情况记录", FieldType.LINES),
    "requirements": ("整改要求", FieldType.LINES),
    "statement_required": ("是否须在区政府会议上表态发言", FieldType.FLAG),
    "meeting": ("会议名称", FieldType.TEXT),
    # 主观过错认定与移送
    "losing_unit_names": ("败诉单位", FieldType.TEXT),
    "judgment_outcome": ("裁判结果", FieldType.TEXT),
    "has_fault": ("认定结论", FieldType.TEXT),
    "fault_reasons": ("认定理由", FieldType.LINES),
    "responsible_unit": ("责任单位", FieldType.TEXT),
    "responsible_persons": ("责任人员", FieldType.LINES),
    "determined_on": ("认定日期", FieldType.DATE),
    "transfer_no": ("移送函文号", FieldType.TEXT),
    "evidence_list": ("移送材料", FieldType.LINES),
    "transfer_on": ("移送日期", FieldType.DATE),
}
for _name, _spec in FIELDS.items():
    _fields.FIELDS.setdefault(_name, _spec)

#: kind -> the process-data field that holds its 发文字号 (the product numbers it otherwise)
DOC_NO_FIELD: dict[str, str] = {"discipline_transfer_letter": "transfer_no"}

HUAI_NOTICE = (
    "市委依法治市办《关于建立全市行政诉讼败诉案件评价工作机制的通知》（淮委法办〔2023〕16号）"
)
DISCIPLINE_ORGAN = "区纪检监察机关"

_END_PUNCT = "。！？.!?：:"


def _sentence(text: str) -> str:
    """Close a user-typed clause with "。" (replacing a trailing "，" or "；")."""
    trimmed = text.rstrip("，,；;、 \u3000") or text
    return trimmed if trimmed[-1] in _END_PUNCT else f"{trimmed}。"


def _numbered(v: Values, name: str) -> list[Block]:
    """One paragraph per line, numbered （一）（二）… (numbering the user typed is dropped)."""
    items = [strip_numbering(line) or line for line in v.lines(name)]
    return [body(f"（{chinese_number(i)}）{_sentence(item)}") for i, item in enumerate(items, 1)]


def _rate(v: Values) -> str:
    """``审结行政诉讼案件10件，其中败诉4件，败诉率为40.0%（4/10），高于30.0%的评价阈值``."""
    text = (
        f"审结行政诉讼案件{v.text('concluded_cases')}件，其中败诉{v.text('lost_cases')}件，"
        f"败诉率为{v.text('loss_rate')}"
        f"（{v.text('lost_cases')}/{v.text('concluded_cases')}）"
    )
    if v.has("threshold"):
        text += f"，高于{v.text('threshold')}的评价阈值"
    return text


def build_interview_record(v: Values) -> list[Block]:
    """败诉率约谈记录: the district leader's interview of the head of a high-loss-rate unit."""
    unit = v.text("unit_name")
    blocks: list[Block] = [
        party(f"被约谈单位：{unit}"),
        party(f"被约谈人：{v.text('head_name')}（主要负责人）"),
        party(f"约谈区领导：{v.text('leader_name')}"),
        party(f"约谈时间：{v.text('interview_time')}"),
        party(f"约谈地点：{v.text('interview_place')}"),
        party(f"参加人员：{v.text('attendees')}"),
        heading("一、约谈事由"),
        body(
            f"根据{MECHANISM}关于建立败诉主观过错责任追究机制的规定，对行政诉讼案件败诉率"
            f"较高的镇街和部门，由区领导约谈承办单位主要负责人。经评价，{v.text('period')}，"
            f"{unit}{_rate(v)}。"
        ),
        body(
            f"区领导{v.text('leader_name')}依照上述规定，对{unit}主要负责人"
            f"{v.text('head_name')}进行约谈。"
        ),
        heading("二、约谈情况"),
        *[body(line) for line in v.lines("interview_record")],
        heading("三、整改要求"),
        body(f"针对{unit}行政诉讼败诉率较高的问题，提出如下整改要求："),
        *_numbered(v, "requirements"),
        heading("四、表态发言"),
    ]
    if v.has("statement_required") and v.flag("statement_required"):
        meeting = v.text("meeting") if v.has("meeting") else "区政府相关会议"
        blocks.append(
            body(
                f"经研究，由{unit}主要负责人{v.text('head_name')}在{meeting}上"
                "就本单位行政诉讼败诉问题及整改措施予以表态发言。"
            )
        )
    else:
        blocks.append(body("本次约谈不要求承办单位主要负责人在区政府相关会议上表态发言。"))
    blocks += [
        body(f"请{unit}认真落实上述整改要求，切实压降行政诉讼败诉率。"),
        blank(),
        party("约谈人（签字）："),
        party("被约谈人（签字）："),
        party("记录人（签字）："),
        Signature(unit=v.text("issuer"), date=v.text("issued_on")),
    ]
    return blocks


def build_discipline_transfer_letter(v: Values) -> list[Block]:
    """行政败诉案件主观过错责任移送函, from the bureau to the district discipline organ."""
    case_no = f"（案号：{v.text('court_case_no')}）" if v.has("court_case_no") else ""
    case = f"{v.text('plaintiff')}因{v.text('subject')}提起的行政诉讼案件{case_no}"
    blocks: list[Block] = [
        recipient(DISCIPLINE_ORGAN),
        body(
            f"根据{HUAI_NOTICE}和{MECHANISM}关于建立败诉主观过错责任追究机制的规定，"
            f"经认定，{case}存在主观过错责任。现将该案移送你单位，请依规依纪依法启动追责、"
            "问责程序。"
        ),
        heading("一、案件基本情况"),
        body(f"原告（行政相对人）：{v.text('plaintiff')}"),
        body(f"案由：{v.text('subject')}"),
    ]
    if v.has("court"):
        blocks.append(body(f"审理法院：{v.text('court')}"))
    if v.has("court_case_no"):
        blocks.append(body(f"案号：{v.text('court_case_no')}"))
    if v.has("claims"):
        blocks.append(body(f"诉讼请求：{v.text('claims')}"))
    if v.has("judgment_outcome"):
        blocks.append(body(f"裁判结果：{v.text('judgment_outcome')}"))
    if v.has("losing_unit_names"):
        blocks.append(body(f"败诉单位：{v.text('losing_unit_names')}"))
    when = f"于{v.text('determined_on')}" if v.has("determined_on") else ""
    blocks += [
        heading("二、主观过错认定情况"),
        body(f"{v.text('issuer')}{when}对本案进行评价，认定本案存在主观过错责任。认定理由如下："),
        *[body(_sentence(line)) for line in v.lines("fault_reasons")],
        body(f"责任单位：{v.text('agency_name')}"),
    ]
    if v.has("responsible_persons"):
        blocks.append(body(f"责任人员：{v.text('responsible_persons')}"))
    materials = [strip_numbering(line) or line for line in v.lines("evidence_list")]
    blocks += [
        heading("三、移送材料"),
        *[body(f"{i}.{item}") for i, item in enumerate(materials, 1)],
        body(f"请你单位依照有关规定启动追责、问责程序，并将处理结果反馈{v.text('issuer')}。"),
        body("特此移送。"),
        Signature(unit=v.text("issuer"), date=v.text("issued_on")),
    ]
    return blocks


KINDS: dict[str, KindSpec] = {
    "interview_record": KindSpec(
        title="败诉率约谈记录",
        required=(
            "doc_no",
            "issued_on",
            "issuer",
            "unit_name",
            "period",
            "lost_cases",
            "concluded_cases",
            "loss_rate",
            "interview_record",
            "requirements",
            "leader_name",
        ),
        build=build_interview_record,
    ),
    "discipline_transfer_letter": KindSpec(
        title="行政败诉案件主观过错责任移送函",
        required=(
            "doc_no",
            "issued_on",
            "issuer",
            "plaintiff",
            "subject",
            "fault_reasons",
            "evidence_list",
        ),
        build=build_discipline_transfer_letter,
    ),
}
