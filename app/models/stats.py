"""What 统计分析 counts, kept beside the facts so that no statistic scans history.

Both tables are derived: ``app.services.reporting.aggregates`` writes them in the flush that
changes the facts (and ``huajie stats rebuild`` recomputes them from the facts).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class CaseParty(Base):
    """One defendant (one organ decided about) of one concluded case or reconsideration.

    ``lost`` is what the case says of this party: True or False when the facts name the losing
    units, None when only the outcome does (the setting ``lost_outcomes`` decides at reading).
    """

    __tablename__ = "case_parties"
    __table_args__ = (
        Index("ix_case_parties_period", "kind", "outcome_on", "unit_code", "outcome", "lost"),
    )

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    unit_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(32))
    outcome_on: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD
    lost: Mapped[bool | None] = mapped_column(default=None)


class StatCount(Base):
    """How many facts of one ``statistic`` fell on one day (``grain`` "d", ``span`` YYYY-MM-DD)
    or one month ("m", YYYY-MM), Shanghai time, for one unit (0: none) and ``key``.

    Every fact is counted twice, in its day and in its month: a period reads whole months and
    the days of the months it only touches, so its cost grows with its length in months.
    """

    __tablename__ = "stat_counts"

    statistic: Mapped[str] = mapped_column(String(16), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    span: Mapped[str] = mapped_column(String(10), primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
