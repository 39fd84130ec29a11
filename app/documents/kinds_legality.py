"""合法性审查意见书: the opinion of mechanism 1, 合法性审查 (process ``legality_review``).

Rendered by the ``reviewer_opinion`` task of ``processes/legality_review.bpmn`` in every review
round, from the process data the forms ``submit_matter``, ``adviser_review``,
``joint_consultation`` (only for 败诉重点领域 or 重要案件), ``amend_matter`` and
``reviewer_opinion`` collected, the round number the diagram keeps in ``review_round`` (not
``round``: that is a sandbox function, which task data may not shadow) and the common fields
``doc_no``, ``issued_on``, ``issuer`` and ``agency_name``.

Process data accumulates over rounds, so a value an earlier round left behind must not leak into
a later opinion: the 修改意见 are printed only when this round's conclusion is 修改后合法, and the
修改说明 only from the second round on.
"""

from __future__ import annotations

from .blocks import Block, Signature, body, heading, recipient
from .fields import FIELDS, FieldType, Values, chinese_number, strip_numbering
from .kind import MECHANISM, KindSpec

BUREAU = "区司法局"
LEGAL = "合法"
AMEND = "修改后合法"
ILLEGAL = "不合法"

#: Fields of this document (name -> Chinese label, type); registered into ``fields.FIELDS``
#: below (without replacing a registration another mechanism made first) so that
#: :class:`Values` can label and format them.
LEGALITY_FIELDS: dict[str, tuple[str, FieldType]] = {
    "matter_type": ("事项类型", FieldType.TEXT),
    "title": ("事项名称", FieldType.TEXT),
    "description": ("事项内容及依据", FieldType.LINES),
    "key_area": ("属于败诉重点领域", FieldType.FLAG),
    "important_case": ("属于重要案件", FieldType.FLAG),
    "review_round": ("审查轮次", FieldType.TEXT),
    "adviser_name": ("公职律师/法律顾问姓名", FieldType.TEXT),
    "adviser_firm": ("所在律师事务所或机构", FieldType.TEXT),
    "adviser_opinion": ("审核意见", FieldType.LINES),
    "adviser_conclusion": ("审核结论", FieldType.TEXT),
    "consultation_opinion": ("会商意见", FieldType.LINES),
    "participants": ("参加会商人员", FieldType.TEXT),
    "consulted_on": ("会商日期", FieldType.DATE),
    "opinion": ("审查结论", FieldType.TEXT),
    "reasons": ("理由及依据", FieldType.TEXT),
    "required_changes": ("修改意见", FieldType.LINES),
    "amendment_note": ("修改说明", FieldType.LINES),
}
for _name, _spec in LEGALITY_FIELDS.items():
    FIELDS.setdefault(_name, _spec)

_END_PUNCT = "。！？.!?：:"


def _sentence(text: str) -> str:
    """Close a user-typed clause with "。" (replacing a trailing "，" or "；")."""
    trimmed = text.rstrip("，,；;、 \u3000") or text
    return trimmed if trimmed[-1] in _END_PUNCT else f"{trimmed}。"


def _numbered(lines: list[str]) -> list[Block]:
    items = [strip_numbering(line) or line for line in lines]
    return [body(f"（{chinese_number(i)}）{_sentence(item)}") for i, item in enumerate(items, 1)]


def _round(v: Values) -> int | None:
    try:
        return int(v.text("review_round"))
    except ValueError:
        return None


def _round_label(v: Values) -> str:
    n = _round(v)
    if n is not None and n > 0:
        return f"第{chinese_number(n)}轮"
    return f"第{v.text('review_round')}轮"


def _flag(v: Values, name: str) -> bool:
    return v.has(name) and v.flag(name)


def _title(v: Values) -> str:
    return v.text("title").strip('“”"《》')


def _conclusion(v: Values) -> list[Block]:
    opinion = v.text("opinion")
    if opinion == LEGAL:
        return [body("经审查，该事项合法，可按规定程序办理。")]
    if opinion == AMEND:
        return [
            body(
                "经审查，该事项修改后合法。请你单位按照本意见书所列修改意见修改完善后，重新提交合法性审查。"
            )
        ]
    if opinion == ILLEGAL:
        return [
            body(
                "经审查，该事项不合法，不得按现有方案作出决定、签订协议或者实施，请你单位依法另行研究处理。"
            )
        ]
    return [body(f"经审查，审查结论为：{_sentence(opinion)}")]


def build_legality_opinion(v: Values) -> list[Block]:
    """合法性审查意见书, addressed to the agency that submitted the matter."""
    consulted = v.has("consultation_opinion")
    n = _round(v)
    process = "经公职律师（法律顾问）审核" + (f"并与{BUREAU}会商" if consulted else "")
    blocks: list[Block] = [
        recipient(v.text("agency_name")),
        body(
            f"你单位提请合法性审查的{v.text('matter_type')}事项“{_title(v)}”（{_round_label(v)}审查）"
            f"收悉。根据{MECHANISM}关于健全行政行为合法性审查机制的规定，{process}，"
            "现提出合法性审查意见如下。"
        ),
    ]

    sections: list[tuple[str, list[Block]]] = []

    matter: list[Block] = [
        body(f"事项类型：{v.text('matter_type')}"),
        body(f"事项名称：{_title(v)}"),
    ]
    if v.has("description"):
        matter.append(body("事项内容及依据："))
        matter += [body(line) for line in v.lines("description")]
    submitted = v.submitted_on("submit_matter", "amend_matter")
    if submitted:
        matter.append(body(f"提交审查日期：{submitted}"))
    rounds = f"审查轮次：{_round_label(v)}"
    if n is not None and n > 1:
        rounds += f"（前{chinese_number(n - 1)}轮审查结论为修改后合法，已按修改意见修改后重新提交）"
    matter.append(body(rounds))
    if n is not None and n > 1 and v.has("amendment_note"):
        matter.append(body("修改说明："))
        matter += [body(line) for line in v.lines("amendment_note")]
    sections.append(("审查事项", matter))

    if v.has("adviser_opinion") or v.has("adviser_conclusion"):
        adviser = v.text("adviser_name")
        if v.has("adviser_firm"):
            adviser += f"（{v.text('adviser_firm')}）"
        review: list[Block] = [body(f"审核人：{adviser}")]
        if v.has("adviser_opinion"):
            review.append(body("审核意见："))
            review += [body(line) for line in v.lines("adviser_opinion")]
        if v.has("adviser_conclusion"):
            review.append(body(f"审核结论：{v.text('adviser_conclusion')}。"))
        sections.append(("公职律师（法律顾问）审核意见", review))

    if consulted:
        why = "、".join(
            label
            for name, label in (("key_area", "败诉重点领域"), ("important_case", "重要案件"))
            if _flag(v, name)
        )
        when = f"于{v.text('consulted_on')}" if v.has("consulted_on") else ""
        opening = f"该事项属于{why}，" if why else ""
        consultation: list[Block] = [body(f"{opening}{when}与{BUREAU}进行了审查会商。")]
        if v.has("participants"):
            consultation.append(body(f"参加会商人员：{v.text('participants')}"))
        consultation.append(body("会商意见："))
        consultation += [body(line) for line in v.lines("consultation_opinion")]
        sections.append(("会商意见", consultation))

    conclusion = _conclusion(v)
    conclusion.append(body("理由及依据："))
    conclusion += [body(line) for line in v.lines("reasons")]
    sections.append(("审查结论", conclusion))

    if v.text("opinion") == AMEND and v.has("required_changes"):
        sections.append(("修改意见", _numbered(v.lines("required_changes"))))

    for i, (title, content) in enumerate(sections, 1):
        blocks.append(heading(f"{chinese_number(i)}、{title}"))
        blocks += content

    blocks += [
        body("以上意见，请研究办理。"),
        Signature(unit=v.text("issuer"), date=v.text("issued_on")),
    ]
    return blocks


KINDS: dict[str, KindSpec] = {
    "legality_opinion": KindSpec(
        title="合法性审查意见书",
        required=(
            "doc_no",
            "issued_on",
            "issuer",
            "agency_name",
            "matter_type",
            "title",
            "opinion",
            "reasons",
            "review_round",
        ),
        build=build_legality_opinion,
    ),
}
