"""Documents of mechanisms 5 and 8 (``pre_filing_notice``, ``post_judgment_explanation``).

- 《行政诉讼立案前信息通报函》 (``pre_filing_notice_letter``): after the court's 预立案信息通报
  the centre tells the agency concerned about the coming suit and asks it to prepare its
  defence (《十项机制》第五条). Rendered by ``notify_agency``.
- 《判后释法明理记录》 (``explanation_record``): for a case not filed or dismissed after earlier
  resolution failed, the designated person's explanation to the counterparty, the channel he was
  guided to, his response and the result (第八条). Rendered by ``explain_and_guide`` and
  ``explain_and_guide_agency``.

Fields come from those processes' start data (the case fields and the court message's) and
forms, plus the common fields ``doc_no``, ``issued_on``, ``issuer`` and ``agency_name`` that the
product supplies for every document.
"""

from __future__ import annotations

from . import fields as _fields
from .blocks import Block, Signature, blank, body, heading, party, recipient
from .fields import FieldType, Values
from .kind import MECHANISM, KindSpec

#: Fields of these documents (name -> Chinese label, type); registered into ``fields.FIELDS``
#: below (without replacing a name another module registered) so :class:`Values` can label,
#: validate and format them.
FIELDS: dict[str, tuple[str, FieldType]] = {
    # 立案前信息通报
    "notice_received_on": ("收到预立案信息通报日期", FieldType.DATE),
    "notified_on": ("通报日期", FieldType.DATE),
    "notify_method": ("通报方式", FieldType.TEXT),
    "agency_contact": ("接收人", FieldType.TEXT),
    "litigation_staff": ("应诉人员", FieldType.LINES),
    "appearing_head": ("出庭负责人", FieldType.TEXT),
    "appearing_head_title": ("职务", FieldType.TEXT),
    # 判后释法明理
    "judgment_outcome": ("裁判结果", FieldType.TEXT),
    "effective_on": ("判决生效日期", FieldType.DATE),
    "explainer_unit": ("释明工作承担方", FieldType.TEXT),
    "explainer_name": ("释明专人", FieldType.TEXT),
    "explainer_phone": ("联系电话", FieldType.TEXT),
    "explained_on": ("释明日期", FieldType.DATE),
    "explanation_method": ("释明方式", FieldType.TEXT),
    "explanation": ("释法明理内容", FieldType.LINES),
    "guided_channel": ("引导维权渠道", FieldType.TEXT),
    "counterparty_response": ("行政相对人意见", FieldType.LINES),
    "result": ("释明结果", FieldType.TEXT),
}
for _name, _spec in FIELDS.items():
    _fields.FIELDS.setdefault(_name, _spec)

COMMON: tuple[str, ...] = ("doc_no", "issued_on", "issuer", "agency_name")

RESULT_LABELS: dict[str, str] = {"accepted": "服判息诉", "not_accepted": "仍有异议"}

#: 引导维权渠道 -> what the counterparty was guided to do
_CHANNELS: dict[str, str] = {
    "申请行政复议": "依法申请行政复议",
    "提起民事诉讼": "依法提起民事诉讼",
    "信访": "通过信访渠道依法反映诉求",
    "仲裁": "依法申请仲裁",
    "其他": "通过其他合法途径表达诉求、维护权益",
}

_CLAUSE_END = "。．.，,；;、 \u3000"
_END_PUNCT = "。！？.!?：:"


def _sentence(text: str) -> str:
    """Close a user-typed clause with "。" (replacing a trailing "，" or "；")."""
    trimmed = text.rstrip(_CLAUSE_END) or text
    return trimmed if trimmed[-1] in _END_PUNCT else f"{trimmed}。"


def _case(v: Values) -> str:
    """``张三诉某局行政处罚一案（案号：…）``; the number only when the court gave one."""
    number = f"（案号：{v.text('court_case_no')}）" if v.has("court_case_no") else ""
    return f"{v.text('plaintiff')}诉{v.text('agency_name')}{v.text('subject')}一案{number}"


def _signature(v: Values) -> Signature:
    return Signature(unit=v.text("issuer"), date=v.text("issued_on"))


def build_pre_filing_notice_letter(v: Values) -> list[Block]:
    """行政诉讼立案前信息通报函: the centre passes the court's pre-filing notice to the agency."""
    claims = f"，诉讼请求为：{v.text('claims')}" if v.has("claims") else ""
    blocks: list[Block] = [
        recipient(v.text("agency_name")),
        body(
            f"本中心于{v.text('notice_received_on')}收到{v.text('court')}预立案信息通报："
            f"{v.text('plaintiff')}以你单位为被告，就{v.text('subject')}向{v.text('court')}"
            f"提起行政诉讼{claims}，该案目前处于预立案阶段。"
            f"根据{MECHANISM}关于建立法院立案前信息通报机制的规定，现将有关情况通报如下。"
        ),
        heading("一、案件基本情况"),
        body(f"行政相对人（原告）：{v.text('plaintiff')}"),
        body(f"被告（案涉行政机关）：{v.text('agency_name')}"),
        body(f"案由：{v.text('subject')}"),
    ]
    if v.has("claims"):
        blocks.append(body(f"诉讼请求：{v.text('claims')}"))
    blocks.append(body(f"管辖法院：{v.text('court')}"))
    if v.has("court_case_no"):
        blocks.append(body(f"法院案号：{v.text('court_case_no')}"))
    blocks += [
        body(f"收到预立案信息通报日期：{v.text('notice_received_on')}"),
        heading("二、应诉准备要求"),
        body("请你单位高度重视，立即做好以下应诉准备工作："),
        body("（一）确定应诉人员和出庭负责人，落实行政机关负责人出庭应诉要求；"),
        body("（二）全面收集、整理作出被诉行政行为的证据材料和所依据的法律、法规、规范性文件；"),
        body(
            "（三）认真研判案件争议焦点和败诉风险，能够化解的，积极配合开展行政争议实质性化解工作；"
        ),
        body("（四）将应诉人员、出庭负责人及应诉准备情况及时反馈区调处中心。"),
        body("特此通报。"),
        _signature(v),
    ]
    return blocks


def _explainer(v: Values) -> str:
    """``张某（区调处中心，联系电话：…）``."""
    details = []
    if v.has("explainer_unit"):
        unit = v.text("explainer_unit")
        details.append({"center": "区调处中心", "agency": v.text("agency_name")}.get(unit, unit))
    if v.has("explainer_phone"):
        details.append(f"联系电话：{v.text('explainer_phone')}")
    return v.text("explainer_name") + (f"（{'，'.join(details)}）" if details else "")


def build_explanation_record(v: Values) -> list[Block]:
    """判后释法明理记录: what the designated person explained and how the counterparty took it."""
    outcome = v.text("judgment_outcome")
    ruled = f"{v.text('effective_on')}" if v.has("effective_on") else ""
    court = v.text("court") if v.has("court") else "人民法院"
    subject = v.text("subject") if v.has("subject") else "行政争议"
    number = f"（案号：{v.text('court_case_no')}）" if v.has("court_case_no") else ""
    case = f"{v.text('plaintiff')}诉{v.text('agency_name')}{subject}一案{number}"
    channel_value = v.text("guided_channel")
    channel = _CHANNELS.get(channel_value, f"通过{channel_value}途径依法维护自身权益")
    result_value = v.text("result")
    result = RESULT_LABELS.get(result_value, result_value)
    if result_value == "accepted":
        conclusion = "经释法明理，行政相对人表示服判息诉。"
    elif result_value == "not_accepted":
        conclusion = "经释法明理，行政相对人仍有异议，将持续做好跟进化解和维权引导工作。"
    else:
        conclusion = f"释明结果：{result}。"
    method = v.text("explanation_method") if v.has("explanation_method") else ""
    how = f"以{method.removesuffix('释明')}方式" if method else ""
    blocks: list[Block] = [
        party(f"案件：{case}"),
        party(f"行政相对人：{v.text('plaintiff')}"),
        party(f"案涉行政机关：{v.text('agency_name')}"),
        party(f"裁判结果：{outcome}" + (f"（生效日期：{ruled}）" if ruled else "")),
        party(f"释明人：{_explainer(v)}"),
        party(f"释明日期：{v.text('explained_on')}"),
    ]
    if method:
        blocks.append(party(f"释明方式：{method}"))
    blocks += [
        party(f"释明结果：{result}"),
        heading("一、基本情况"),
        body(
            f"{case}，经{court}裁定{outcome}。该案经前期化解未能解决。"
            f"根据{MECHANISM}关于建立判后释法明理机制的规定，指定{v.text('explainer_name')}"
            "负责释明和调处工作，配合人民法院做好服判息诉和行政相对人维权引导工作。"
        ),
        body(
            f"{v.text('explained_on')}，{v.text('explainer_name')}{how}向行政相对人进行了释法明理。"
        ),
        heading("二、释法明理内容"),
        *[body(_sentence(line)) for line in v.lines("explanation")],
        heading("三、维权引导"),
        body(f"释明人引导行政相对人{channel}。"),
        heading("四、行政相对人意见"),
        *[body(_sentence(line)) for line in v.lines("counterparty_response")],
    ]
    if not v.has("counterparty_response"):
        blocks.append(body(v.text("counterparty_response")))
    blocks += [
        heading("五、释明结果"),
        body(conclusion),
        blank(),
        party("释明人（签字）："),
        party("行政相对人（签字）："),
        blank(),
        _signature(v),
    ]
    return blocks


KINDS: dict[str, KindSpec] = {
    "pre_filing_notice_letter": KindSpec(
        title="行政诉讼立案前信息通报函",
        required=(
            *COMMON,
            "plaintiff",
            "subject",
            "court",
            "notice_received_on",
        ),
        build=build_pre_filing_notice_letter,
    ),
    "explanation_record": KindSpec(
        title="判后释法明理记录",
        required=(
            *COMMON,
            "plaintiff",
            "judgment_outcome",
            "explainer_name",
            "explained_on",
            "explanation",
            "guided_channel",
            "result",
        ),
        build=build_explanation_record,
    ),
}
