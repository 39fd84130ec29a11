"""Documents of mechanism 2, 行政执法监督 (process ``enforcement_supervision``).

《行政执法监督建议书》 and 《行政执法监督决定书》, issued by 区司法局 to the agency it
supervised. Fields come from the forms of ``supervise``, ``issue_suggestion`` and
``issue_decision`` plus the common fields ``doc_no``, ``issued_on``, ``issuer`` and
``agency_name`` that the product supplies for every document.
"""

from __future__ import annotations

from .blocks import Block, Signature, body, heading, recipient
from .fields import FIELDS, FieldType, Values, chinese_number, strip_numbering
from .kind import MECHANISM, KindSpec

BUREAU = "区司法局"

#: Fields of these documents (name -> Chinese label, type); registered into ``fields.FIELDS``
#: below so that :class:`Values` can label and format them.
SUPERVISION_FIELDS: dict[str, tuple[str, FieldType]] = {
    "method": ("监督方式", FieldType.TEXT),
    "findings": ("发现的问题", FieldType.LINES),
    "suggestions": ("监督建议", FieldType.LINES),
    "decision_items": ("监督决定事项", FieldType.LINES),
    "legal_basis": ("决定依据", FieldType.LINES),
    "answer_days": ("整改答复期限（工作日）", FieldType.TEXT),
}
for _name, _spec in SUPERVISION_FIELDS.items():
    FIELDS.setdefault(_name, _spec)

#: Suggested 发文字号 prefixes and issuing unit (for the product's document service).
DOC_NO_PREFIX: dict[str, str] = {
    "supervision_suggestion": "洪司执监建",
    "supervision_decision": "洪司执监决",
}
ISSUER: dict[str, str] = {kind: "洪泽区司法局" for kind in DOC_NO_PREFIX}

COMMON: tuple[str, ...] = ("doc_no", "issued_on", "issuer", "agency_name")


def _sentence(text: str) -> str:
    """Close a clause with "。" unless it already ends with punctuation."""
    return text if text[-1] in "。；！？.;!?：:" else f"{text}。"


def _numbered(lines: list[str]) -> list[Block]:
    items = [strip_numbering(line) or line for line in lines]
    return [body(f"（{chinese_number(i)}）{_sentence(item)}") for i, item in enumerate(items, 1)]


def _signature(v: Values) -> Signature:
    return Signature(unit=v.text("issuer"), date=v.text("issued_on"))


def _opening(v: Values) -> Block:
    return body(
        f"根据{MECHANISM}有关规定，{v.text('issuer')}通过{v.text('method')}方式，"
        f"对你单位的行政执法工作进行了监督，发现存在以下问题："
    )


def build_supervision_suggestion(v: Values) -> list[Block]:
    """行政执法监督建议书: the bureau suggests how the agency should fix what it found."""
    return [
        recipient(v.text("agency_name")),
        _opening(v),
        heading("一、发现的问题"),
        *[body(line) for line in v.lines("findings")],
        heading("二、监督建议"),
        body("针对上述问题，为促进你单位严格规范公正文明执法，提出如下建议："),
        *_numbered(v.lines("suggestions")),
        heading("三、整改答复要求"),
        body(
            "请你单位认真研究，采取有效措施加以整改，"
            f"请于{v.period('本建议书') or '规定期限内'}将整改情况书面报送{BUREAU}。"
        ),
        body("特此建议。"),
        _signature(v),
    ]


def build_supervision_decision(v: Values) -> list[Block]:
    """行政执法监督决定书: the bureau decides what the agency must do."""
    return [
        recipient(v.text("agency_name")),
        _opening(v),
        heading("一、发现的问题"),
        *[body(line) for line in v.lines("findings")],
        heading("二、决定依据"),
        *[body(line) for line in v.lines("legal_basis")],
        heading("三、监督决定"),
        body("根据上述事实和依据，决定如下："),
        *_numbered(v.lines("decision_items")),
        heading("四、执行要求"),
        body(
            "你单位应当执行本决定，"
            f"并于{v.period('本决定书') or '规定期限内'}将执行及整改情况书面报送{BUREAU}。"
        ),
        body("特此决定。"),
        _signature(v),
    ]


KINDS: dict[str, KindSpec] = {
    "supervision_suggestion": KindSpec(
        title="行政执法监督建议书",
        required=(*COMMON, "method", "findings", "suggestions"),
        build=build_supervision_suggestion,
    ),
    "supervision_decision": KindSpec(
        title="行政执法监督决定书",
        required=(
            *COMMON,
            "method",
            "findings",
            "decision_items",
            "legal_basis",
        ),
        build=build_supervision_decision,
    ),
}
