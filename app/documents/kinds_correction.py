"""自我纠正决定书: the decision by which an agency corrects its own flawed act (《十项机制》第三条).

Rendered by the ``issue_decision`` task of ``processes/self_correction.bpmn`` from the process
data the ``initiate`` and ``decide_correction`` forms collected. The decision is addressed to the
counterparty (行政相对人); a case's ``plaintiff`` is named when the process has one.
"""

from __future__ import annotations

from . import fields as _fields
from .blocks import Block, Signature, body, heading, recipient
from .fields import FieldType, Values, chinese_number, strip_numbering
from .kind import MECHANISM, KindSpec

# name -> (Chinese label, type); registered with the shared field table below so that
# Values can format and validate them and name them in error messages.
FIELDS: dict[str, tuple[str, FieldType]] = {
    "origin": ("启动原因", FieldType.TEXT),
    "origin_ref": ("来源文书或编号", FieldType.TEXT),
    "act_description": ("原行政行为", FieldType.TEXT),
    "act_date": ("原行政行为作出日期", FieldType.DATE),
    "defect": ("存在的瑕疵或问题", FieldType.LINES),
    "seriously_unlawful": ("存在重大明显违法情形", FieldType.FLAG),
    "uncompensated_harm": ("行政相对人合法权益受损未依法补偿或赔偿", FieldType.FLAG),
    "national_interest": ("对国家利益的影响", FieldType.TEXT),
    "public_interest": ("对公共利益的影响", FieldType.TEXT),
    "third_party_interest": ("对他人合法权益的影响", FieldType.TEXT),
    "correction_measure": ("纠正方式", FieldType.TEXT),
    "reasons": ("理由", FieldType.TEXT),
    "remedial_measures": ("补救措施", FieldType.LINES),
    "decision_no": ("决定书文号", FieldType.TEXT),
}
for _name, _spec in FIELDS.items():
    _fields.FIELDS.setdefault(_name, _spec)

#: kind -> the process-data field that holds its 发文字号 (the product numbers it otherwise)
DOC_NO_FIELD: dict[str, str] = {"self_correction_decision": "decision_no"}

ORIGIN_LABELS: dict[str, str] = {
    "initiative": "主动纠错",
    "supervision": "执法监督",
    "loss_warning": "败诉预警函",
}

# 纠正方式 -> the operative sentence of the decision
_DECISIONS: dict[str, str] = {
    "撤销": "撤销原行政行为",
    "补正": "对原行政行为予以补正",
    "更正": "对原行政行为予以更正",
    "改变原行政行为": "改变原行政行为",
    "确认违法": "确认原行政行为违法",
    "确认无效": "确认原行政行为无效",
    "不予纠正": "对原行政行为不予纠正",
}

_END_PUNCT = "。！？.!?：:"


def _sentence(text: str) -> str:
    """Close a user-typed clause with "。" (replacing a trailing "，" or "；")."""
    trimmed = text.rstrip("，,；;、 \u3000") or text
    return trimmed if trimmed[-1] in _END_PUNCT else f"{trimmed}。"


def _origin(v: Values) -> str:
    """Why the review was started, as the opening clause of the decision."""
    raw = v.text("origin") if v.has("origin") else "initiative"
    ref = f"（{v.text('origin_ref')}）" if v.has("origin_ref") else ""
    agency = v.text("agency_name")
    if raw == "supervision":
        return f"{agency}根据行政执法监督意见{ref}，对下列行政行为进行了审查"
    if raw == "loss_warning":
        return (
            f"{agency}收到人民法院《败诉预警函》{ref}后，主动启动纠错程序，对下列行政行为进行了审查"
        )
    if raw == "initiative":
        return f"{agency}在自查中发现下列行政行为存在瑕疵{ref}，主动启动纠错程序进行了审查"
    return f"{agency}因{ORIGIN_LABELS.get(raw, raw)}{ref}对下列行政行为进行了审查"


def build_self_correction_decision(v: Values) -> list[Block]:
    """行政行为自我纠正决定书, served on the counterparty."""
    addressee = v.text("plaintiff") if v.has("plaintiff") else "行政相对人"
    measure = v.text("correction_measure")
    decision = _DECISIONS.get(measure, f"对原行政行为予以{measure}")

    blocks: list[Block] = [
        recipient(addressee),
        body(f"{_origin(v)}。根据{MECHANISM}关于健全行政机关自我纠正机制的规定，现作出如下决定。"),
        heading("一、原行政行为及存在的问题"),
        body(f"原行政行为：{_sentence(v.text('act_description'))}"),
    ]
    if v.has("act_date"):
        blocks.append(body(f"作出日期：{v.text('act_date')}"))
    if v.has("court_case_no"):
        blocks.append(body(f"关联行政诉讼案号：{v.text('court_case_no')}"))
    blocks.append(body("存在的瑕疵或问题："))
    blocks += [body(_sentence(line)) for line in v.lines("defect")]
    if v.has("seriously_unlawful") and v.flag("seriously_unlawful"):
        blocks.append(body("经审查，原行政行为存在重大明显违法情形。"))
    if v.has("uncompensated_harm") and v.flag("uncompensated_harm"):
        blocks.append(body("行政相对人的合法权益因原行政行为受损，尚未依法予以补偿或者赔偿。"))
    blocks += [
        heading("二、综合衡量情况"),
        body("本机关综合考虑国家利益、公共利益及他人合法权益等因素，进行了全面衡量："),
        body(f"（一）对国家利益的影响：{_sentence(v.text('national_interest'))}"),
        body(f"（二）对公共利益的影响：{_sentence(v.text('public_interest'))}"),
        body(f"（三）对他人合法权益的影响：{_sentence(v.text('third_party_interest'))}"),
        heading("三、纠正决定"),
    ]
    reasons = f"理由：{_sentence(v.text('reasons'))}" if v.has("reasons") else ""
    blocks.append(body(f"经全面衡量，本机关决定{decision}。{reasons}"))
    measures = [strip_numbering(line) or line for line in v.lines("remedial_measures")]
    if measures:
        blocks += [
            heading("四、补救措施"),
            body("本机关将采取以下补救措施："),
            *[body(f"（{chinese_number(i)}）{_sentence(m)}") for i, m in enumerate(measures, 1)],
        ]
    blocks += [
        heading(f"{'五' if measures else '四'}、救济途径"),
        body(
            "行政相对人对本决定不服的，可以自收到本决定书之日起六十日内依法申请行政复议，"
            "或者自收到本决定书之日起六个月内依法向人民法院提起行政诉讼。"
        ),
        body("特此决定。"),
        Signature(unit=v.text("issuer"), date=v.text("issued_on")),
    ]
    return blocks


KINDS: dict[str, KindSpec] = {
    "self_correction_decision": KindSpec(
        title="行政行为自我纠正决定书",
        required=(
            "doc_no",
            "issued_on",
            "issuer",
            "agency_name",
            "act_description",
            "defect",
            "correction_measure",
            "remedial_measures",
            "national_interest",
            "public_interest",
            "third_party_interest",
        ),
        build=build_self_correction_decision,
    ),
}
