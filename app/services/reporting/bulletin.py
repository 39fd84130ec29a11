"""败诉率通报: the bureau's report upward for a period, as a .docx after GB/T 9704, from the same
figures as 统计分析 (``stats.dashboard``): each unit's concluded and lost cases with its loss
rate, the 复议纠错 rate, the reasons the units' reviews gave, and the units called to 约谈.

It is drawn up for the whole district, so only those who see every unit's figures may have it;
it is generated on demand and not stored (the figures are the record).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.documents.blocks import (
    Block,
    DocumentSpec,
    Signature,
    Table,
    blank,
    body,
    heading,
    recipient,
)
from app.documents.fields import format_date
from app.documents.render import render_spec
from app.models import Unit
from app.services.actor import Actor
from app.services.identity.permissions import Action, require
from app.services.reporting import evaluation, stats


def period_label(period: stats.Period) -> str:
    if stats.quarters(period) == [period]:
        return stats.quarter_label(period)
    return f"{format_date(period.start)}至{format_date(period.end)}"


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _interviewed(session: Session, period: stats.Period) -> list[str]:
    codes = evaluation.interviewed(session, period)
    names = dict(session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes))).all())
    return [names.get(code, code) for code in codes]


def render(session: Session, actor: Actor, period: stats.Period) -> tuple[str, bytes]:
    """The report's file name and .docx."""
    require(actor.role, Action.SEE_ALL_UNITS)
    board = stats.dashboard(session, actor, period)
    label = period_label(period)
    bureau = session.scalar(select(Unit.name).where(Unit.kind == "bureau").limit(1)) or "区司法局"
    today = clock.local_now().date()
    title = f"关于{label}全区行政机关行政诉讼败诉情况的通报"
    spec = DocumentSpec(
        kind="loss_rate_bulletin", title=title, issuer=bureau, doc_no="",
        blocks=_blocks(session, board, label, bureau, format_date(today)),
    )  # fmt: skip
    return f"{title}.docx", render_spec(spec, today)


def _blocks(
    session: Session, board: stats.Dashboard, label: str, bureau: str, dated: str
) -> list[Block]:
    concluded = [r for r in board.rates if r.concluded]
    lost = sum(r.lost for r in concluded)
    total = sum(r.concluded for r in concluded)
    above = [r.unit_name for r in concluded if (r.rate or 0) > board.threshold]
    blocks: list[Block] = [
        recipient("各镇（街道），区各有关部门"),
        body(
            f"根据《关于进一步压降行政诉讼败诉率的十项机制》，现将{label}全区行政机关行政诉讼败诉情况"
            "通报如下。"
        ),
        heading("一、总体情况"),
        body(
            f"{label}，全区行政机关作为被告审结行政诉讼案件{total}件（按被告单位计，共同被告各计一次），"
            f"败诉{lost}件，败诉率{_pct(lost / total if total else None)}。"
            + (
                f"败诉率高于{_pct(board.threshold)}的单位：{'、'.join(above)}。"
                if above
                else f"没有败诉率高于{_pct(board.threshold)}的单位。"
            )
        ),
        heading("二、各单位败诉情况"),
    ]
    if concluded:
        blocks.append(
            Table(
                ("单位", "审结案件数", "败诉案件数", "败诉率"),
                tuple(
                    (r.unit_name, str(r.concluded), str(r.lost), _pct(r.rate)) for r in concluded
                ),
            )
        )
    else:
        blocks.append(body("本期间没有审结的行政诉讼案件。"))
    decided = [r for r in board.corrections if r.decided]
    blocks.append(heading("三、行政复议纠错情况"))
    if decided:
        blocks.append(
            Table(
                ("单位", "复议决定数", "纠错数", "纠错率"),
                tuple(
                    (r.unit_name, str(r.decided), str(r.corrected), _pct(r.rate)) for r in decided
                ),
            )
        )
    else:
        blocks.append(body("本期间没有作出的行政复议决定。"))
    blocks.append(heading("四、败诉原因"))
    if board.reasons:
        reasons = "；".join(f"{r['category']}{r['count']}件" for r in board.reasons)
        blocks.append(body(f"各单位复盘报告所列败诉原因：{reasons}。"))
    else:
        blocks.append(body("本期间没有完成的败诉案件复盘报告。"))
    called = _interviewed(session, board.period)
    blocks += [
        heading("五、约谈情况"),
        body(
            f"因败诉率较高被约谈的单位：{'、'.join(called)}。"
            if called
            else "本期间没有单位因败诉率被约谈。"
        ),
        heading("六、工作要求"),
        body(
            "各单位要对照本通报，认真开展败诉案件复盘，查找执法和应诉工作中的问题，制定整改措施并"
            "按期报送整改情况；败诉率较高的单位要分析原因，切实压降行政诉讼败诉率。"
        ),
        blank(),
        Signature(unit=bureau, date=dated),
    ]
    return blocks
