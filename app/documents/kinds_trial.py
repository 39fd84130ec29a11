"""Documents of mechanisms 6 and 7 (processes ``in_trial_resolution`` and ``judgment_performance``).

- 《关于行政争议案件的专项汇报》 (``special_report``): after a court 《败诉预警函》 the agency
  started self-correction and exhausted its measures, but the dispute cannot be resolved; it
  reports to the district government (《十项机制》第六条). Rendered by ``write_special_report``.
- 《生效判决履行情况报告》 (``performance_report``): the agency tells the centre how it performed
  an effective judgment (第七条). Rendered by ``perform_and_report``, once per report.

Fields come from those processes' start data and forms plus the common fields ``doc_no``,
``issued_on``, ``issuer`` and ``agency_name`` that the product supplies for every document.
"""

from __future__ import annotations

from . import fields as _fields
from .blocks import Block, Signature, body, heading, recipient
from .fields import FieldType, Values
from .kind import MECHANISM, KindSpec

GOVERNMENT = "区人民政府"
CENTER = "区行政争议调处中心"

#: Fields of these documents (name -> Chinese label, type); registered into ``fields.FIELDS``
#: below (without replacing a name another module registered) so :class:`Values` can label,
#: validate and format them. Multi-line answers are read with ``Values.lines`` whatever the type.
FIELDS: dict[str, tuple[str, FieldType]] = {
    # 审中指导化解
    "warning_letter_no": ("败诉预警函编号", FieldType.TEXT),
    "warning_reason": ("败诉预警理由", FieldType.LINES),
    "responsible_leader": ("分管责任人", FieldType.TEXT),
    "responsible_title": ("职务", FieldType.TEXT),
    "litigation_staff": ("应诉人员", FieldType.LINES),
    "report_summary": ("案件基本情况", FieldType.LINES),
    "risk_analysis": ("败诉风险分析", FieldType.LINES),
    "measures_taken": ("已穷尽的化解措施", FieldType.LINES),
    "requests": ("需区政府协调事项", FieldType.LINES),
    "act_description": ("原行政行为", FieldType.TEXT),
    "correction_measure": ("纠正方式", FieldType.TEXT),
    # 审后督促履行
    "judgment_outcome": ("裁判结果", FieldType.TEXT),
    "effective_on": ("判决生效日期", FieldType.DATE),
    "performance_deadline": ("判决履行期限届满日", FieldType.DATE),
    "orders_new_act": ("判决撤销并责令重作或采取补救措施", FieldType.FLAG),
    "guidance": ("履行指导意见", FieldType.LINES),
    "performed": ("是否已履行", FieldType.TEXT),
    "performance_details": ("履行情况", FieldType.LINES),
    "reasons": ("未完全履行的原因", FieldType.LINES),
    "performed_on": ("履行日期", FieldType.DATE),
}
for _name, _spec in FIELDS.items():
    _fields.FIELDS.setdefault(_name, _spec)

PERFORMED_LABELS: dict[str, str] = {"full": "已全部履行", "partial": "部分履行", "not": "未履行"}

COMMON: tuple[str, ...] = ("doc_no", "issued_on", "issuer", "agency_name")

_CLAUSE_END = "。．.，,；;、 \u3000"


def _sentence(text: str) -> str:
    """Close a user-typed clause with "。" (replacing a trailing "，" or "；")."""
    trimmed = text.rstrip("，,；;、 \u3000") or text
    return trimmed if trimmed[-1] in "。！？.!?：:" else f"{trimmed}。"


def _case(v: Values) -> str:
    """``张三诉某局行政处罚一案（案号：…）``; the case number only when there is one."""
    case = f"{v.text('plaintiff')}诉{v.text('agency_name')}{v.text('subject')}一案"
    return f"{case}（案号：{v.text('court_case_no')}）" if v.has("court_case_no") else case


def _case_facts(v: Values) -> list[Block]:
    blocks: list[Block] = [
        body(f"行政相对人（原告）：{v.text('plaintiff')}"),
        body(f"案涉行政机关：{v.text('agency_name')}"),
        body(f"案由：{v.text('subject')}"),
    ]
    if v.has("court"):
        blocks.append(body(f"管辖法院：{v.text('court')}"))
    if v.has("court_case_no"):
        blocks.append(body(f"法院案号：{v.text('court_case_no')}"))
    return blocks


def _paragraphs(v: Values, name: str) -> list[Block]:
    return [body(line) for line in v.lines(name)]


def _signature(v: Values) -> Signature:
    return Signature(unit=v.text("issuer"), date=v.text("issued_on"))


def _correction(v: Values) -> list[Block]:
    """The outcome of the self-correction the letter triggered (process ``self_correction``)."""
    if not v.has("correction_measure"):
        return []
    act = v.text("act_description").rstrip(_CLAUSE_END) if v.has("act_description") else ""
    act = f"原行政行为（{act}）" if act else "原行政行为"
    measure = v.text("correction_measure")
    if measure == "不予纠正":
        return [body(f"我单位已启动自我纠错程序，对{act}进行了审查，决定不予纠正。")]
    return [body(f"我单位已启动自我纠错程序，对{act}作出“{measure}”的纠正决定。")]


def build_special_report(v: Values) -> list[Block]:
    """专项汇报: the agency reports an unresolvable in-trial dispute to the district government."""
    letter = "《败诉预警函》"
    if v.has("warning_letter_no"):
        letter += f"（{v.text('warning_letter_no')}）"
    blocks: list[Block] = [
        recipient(GOVERNMENT),
        body(
            f"{_case(v)}，人民法院向我单位作出{letter}，提示我单位有败诉风险。"
            f"我单位依照{MECHANISM}关于审中指导化解的规定，主动启动纠错程序，穷尽化解措施、方法，"
            "推动行政争议实质性化解，但该行政争议确实无法化解。现将有关情况专项汇报如下。"
        ),
        heading("一、案件基本情况"),
        *_case_facts(v),
        *_paragraphs(v, "report_summary"),
        heading("二、败诉预警情况"),
    ]
    reasons = [_sentence(line) for line in v.lines("warning_reason")]
    if reasons:
        blocks.append(body(f"人民法院{letter}提示的败诉风险：{''.join(reasons)}"))
    else:
        blocks.append(body(f"人民法院已作出{letter}，提示我单位有败诉风险。"))
    blocks += [
        heading("三、败诉风险分析"),
        *_paragraphs(v, "risk_analysis"),
        heading("四、已穷尽的化解措施"),
    ]
    if v.has("responsible_leader"):
        title = f"（{v.text('responsible_title')}）" if v.has("responsible_title") else ""
        staff = "、".join(v.lines("litigation_staff"))
        staff_clause = f"，应诉人员为{staff}" if staff else ""
        blocks.append(
            body(f"本案化解分管责任人为{v.text('responsible_leader')}{title}{staff_clause}。")
        )
    blocks += _correction(v)
    blocks += _paragraphs(v, "measures_taken")
    blocks.append(heading("五、需区政府协调事项"))
    blocks += _paragraphs(v, "requests") or [body("暂无需要区政府协调的事项。")]
    blocks += [body("特此报告。"), _signature(v)]
    return blocks


def build_performance_report(v: Values) -> list[Block]:
    """生效判决履行情况报告: the agency reports its performance of a judgment to the centre."""
    performed = v.text("performed")
    label = PERFORMED_LABELS.get(performed, performed)
    court = v.text("court") if v.has("court") else "人民法院"
    effective = (
        f"已于{v.text('effective_on')}发生法律效力" if v.has("effective_on") else "已发生法律效力"
    )
    blocks: list[Block] = [
        recipient(CENTER),
        body(
            f"{_case(v)}，{court}作出的判决{effective}（裁判结果：{v.text('judgment_outcome')}），"
            f"判决履行期限于{v.text('performance_deadline')}届满。根据{MECHANISM}关于审后督促履行的"
            "规定，现将我单位履行生效判决的情况报告如下。"
        ),
        heading("一、判决基本情况"),
        *_case_facts(v),
        body(f"裁判结果：{v.text('judgment_outcome')}"),
    ]
    if v.has("effective_on"):
        blocks.append(body(f"判决生效日期：{v.text('effective_on')}"))
    blocks.append(body(f"履行期限届满日：{v.text('performance_deadline')}"))
    new_act = v.has("orders_new_act") and v.flag("orders_new_act")
    if new_act:
        blocks.append(body("判决撤销行政行为并责令重作或者采取补救措施。"))
    blocks += [heading("二、履行情况"), body(f"履行状态：{label}")]
    if performed != "not" and v.has("performed_on"):
        blocks.append(body(f"履行日期：{v.text('performed_on')}"))
    blocks += _paragraphs(v, "performance_details")
    if new_act and v.has("guidance"):
        blocks.append(
            body("我单位已听取区调处中心转达的人民法院意见和建议，按照指导意见开展判决履行工作。")
        )
    reasons = v.lines("reasons") if performed != "full" else []
    if reasons:
        blocks += [
            heading("三、未完全履行的原因"),
            *[body(line) for line in reasons],
            body("我单位将继续抓紧履行生效判决，并及时向区调处中心报告履行进展。"),
        ]
    blocks += [body("特此报告。"), _signature(v)]
    return blocks


KINDS: dict[str, KindSpec] = {
    "special_report": KindSpec(
        title="关于行政争议案件的专项汇报",
        required=(
            *COMMON,
            "plaintiff",
            "subject",
            "report_summary",
            "risk_analysis",
            "measures_taken",
        ),
        build=build_special_report,
    ),
    "performance_report": KindSpec(
        title="生效判决履行情况报告",
        required=(
            *COMMON,
            "plaintiff",
            "subject",
            "judgment_outcome",
            "performance_deadline",
            "performed",
            "performance_details",
        ),
        build=build_performance_report,
    ),
}
