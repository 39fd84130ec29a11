"""Documents of mechanism 4 (``pre_litigation_mediation``): 交办通知书, 调处协议, 终止调处通知书
and 终止调处告知函.

Each ``build_*`` function turns validated :class:`~.fields.Values` into a list of blocks
(paragraphs with a layout role). User input is only ever interpolated into paragraph *text*;
python-docx escapes it when writing the XML.
"""

from __future__ import annotations

from .blocks import Block, Signature, blank, body, heading, party, recipient
from .fields import Values, chinese_number, strip_numbering
from .kind import MECHANISM, KindSpec

DATE_TO_FILL = "日期：\u3000\u3000\u3000\u3000年\u3000\u3000月\u3000\u3000日"

COMMON_REQUIRED: tuple[str, ...] = (
    "doc_no",
    "issued_on",
    "issuer",
    "plaintiff",
    "agency_name",
    "subject",
    "court",
)


def _case(v: Values) -> str:
    """``张三诉某局行政处罚一案（洪泽区人民法院案号：…）``."""
    return (
        f"{v.text('plaintiff')}诉{v.text('agency_name')}{v.text('subject')}一案"
        f"（{v.text('court')}案号：{v.text('court_case_no')}）"
    )


def _sentence(text: str) -> str:
    """Close a clause with "。" unless the user already ended it with punctuation."""
    return text if text[-1] in "。；！？.;!?：:" else f"{text}。"


def _signature(v: Values) -> Signature:
    return Signature(unit=v.text("issuer"), date=v.text("issued_on"))


def build_assignment_notice(v: Values) -> list[Block]:
    """交办通知书: the centre hands a dispute to the agency concerned (《十项机制》第四条)."""
    blocks: list[Block] = [
        recipient(v.text("agency_name")),
        body(
            f"{_case(v)}，本中心已于{v.text('received_on')}收到相关材料。"
            f"根据{MECHANISM}有关规定，现将该行政争议交由你单位开展化解工作。"
        ),
        heading("一、案件基本情况"),
        body(f"行政相对人（原告）：{v.text('plaintiff')}"),
        body(f"案涉行政机关：{v.text('agency_name')}"),
        body(f"案由：{v.text('subject')}"),
        body(f"管辖法院：{v.text('court')}"),
        body(f"法院案号：{v.text('court_case_no')}"),
        body(f"诉讼请求：{v.text('claims')}"),
        heading("二、案件材料"),
        *[body(line) for line in v.lines("materials_summary")],
        body(f"材料接收日期：{v.text('received_on')}"),
        heading("三、工作要求"),
        body(
            f"请你单位{v.period('本通知书') or '按期'}，确定负责化解工作的责任领导"
            "和行政争议化解联络人，研究制定初步调处意向方案，并告知区调处中心。"
        ),
    ]
    if v.has("reply_due"):
        blocks.append(
            body(
                f"请于{v.text('reply_due')}前将责任领导、行政争议化解联络人名单"
                "及初步调处意向方案报送区调处中心。"
            )
        )
    blocks += [
        body("你单位应当积极配合调处工作，按时参加调处，如实提供与案件有关的证据材料。"),
        body("特此通知。"),
        _signature(v),
    ]
    return blocks


def build_mediation_agreement(v: Values) -> list[Block]:
    """调处协议 between the 行政相对人 (甲方) and the agency (乙方)."""
    terms = [strip_numbering(line) or line for line in v.lines("agreement_terms")]
    if v.flag("withdrawal_explained"):
        withdrawal = (
            "调处人员已向甲方释明撤回行政诉讼的条件、程序及法律后果，甲方已知悉。"
            f"是否向{v.text('court')}申请撤回行政诉讼，由甲方依法自愿决定。"
        )
    else:
        withdrawal = "调处人员尚未向甲方释明撤回行政诉讼的相关事项，应当在本协议履行前另行释明。"
    return [
        party(f"甲方（行政相对人）：{v.text('plaintiff')}"),
        party(f"乙方（案涉行政机关）：{v.text('agency_name')}"),
        party(f"委托代理人及参加人员：{v.text('authorised_persons')}"),
        party(f"调处机构：{v.text('issuer')}"),
        party(f"调处时间：{v.text('mediation_time')}"),
        party(f"调处地点：{v.text('mediation_place')}"),
        heading("一、争议基本情况"),
        body(
            f"甲方与乙方因{v.text('subject')}发生行政争议。甲方已向{v.text('court')}"
            f"提起行政诉讼（案号：{v.text('court_case_no')}），诉讼请求为：{v.text('claims')}。"
        ),
        body(
            f"{v.text('issuer')}依照{MECHANISM}有关规定组织双方进行调处。双方在自愿、平等、"
            "合法的基础上，经充分协商，达成如下协议。"
        ),
        heading("二、协议条款"),
        *[body(f"（{chinese_number(i)}）{_sentence(term)}") for i, term in enumerate(terms, 1)],
        heading("三、撤回行政诉讼事项"),
        body(withdrawal),
        heading("四、其他事项"),
        body("本协议自甲乙双方签字（盖章）之日起生效。"),
        body(f"本协议一式三份，甲方、乙方、{v.text('issuer')}各执一份，具有同等效力。"),
        blank(),
        party(f"甲方：{v.text('plaintiff')}"),
        party("签字（盖章）："),
        party(DATE_TO_FILL),
        blank(),
        party(f"乙方：{v.text('agency_name')}"),
        party("签字（盖章）："),
        party(DATE_TO_FILL),
        blank(),
        party(f"调处中心：{v.text('issuer')}"),
        party("签字（盖章）："),
        party(f"日期：{v.text('issued_on')}"),
    ]


def build_termination_notice(v: Values) -> list[Block]:
    """终止调处通知书, sent to all parties."""
    held = ""
    if v.has("mediation_time"):  # omitted rather than "（未填写）": no session may have been held
        held = f"本中心于{v.text('mediation_time')}组织双方进行了调处。"
    return [
        recipient(f"{v.text('plaintiff')}、{v.text('agency_name')}"),
        body(f"{_case(v)}，本中心依照{MECHANISM}有关规定开展了调处工作。{held}"),
        body(
            f"因{v.text('termination_reason')}，本中心决定终止本案调处工作。"
            f"本案行政争议回归{v.text('court')}，由{v.text('court')}依法继续处理。"
        ),
        body("特此通知。"),
        _signature(v),
    ]


def build_termination_letter(v: Values) -> list[Block]:
    """终止调处告知函, addressed to the court; the case materials go back with it."""
    materials = [strip_numbering(line) or line for line in v.lines("materials_list")]
    return [
        recipient(v.text("court")),
        body(
            f"你院移送的{v.text('plaintiff')}诉{v.text('agency_name')}{v.text('subject')}一案"
            f"（案号：{v.text('court_case_no')}），本中心依照{MECHANISM}有关规定开展了调处工作。"
        ),
        body(
            f"因{v.text('termination_reason')}，本中心决定终止本案调处工作。现将有关情况函告你院，"
            "并随函退回本案相关材料，请依法继续审理。"
        ),
        body("随函退回材料如下："),
        *[body(f"{i}.{item}") for i, item in enumerate(materials, 1)],
        body("特此函告。"),
        _signature(v),
    ]


KINDS: dict[str, KindSpec] = {
    "assignment_notice": KindSpec(
        title="行政争议调处交办通知书",
        required=(*COMMON_REQUIRED, "materials_summary", "received_on"),
        build=build_assignment_notice,
    ),
    "mediation_agreement": KindSpec(
        title="行政争议调处协议",
        required=(
            *COMMON_REQUIRED,
            "mediation_time",
            "mediation_place",
            "agreement_terms",
            "withdrawal_explained",
        ),
        build=build_mediation_agreement,
    ),
    "termination_notice": KindSpec(
        title="行政争议终止调处通知书",
        required=(*COMMON_REQUIRED, "termination_reason"),
        build=build_termination_notice,
    ),
    "termination_letter": KindSpec(
        title="行政争议终止调处告知函",
        required=(*COMMON_REQUIRED, "termination_reason", "materials_list"),
        build=build_termination_letter,
    ),
}
