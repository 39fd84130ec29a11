"""What 统计分析 counts, kept beside the facts so that no statistic scans history.

Derived: ``app.services.reporting.aggregate_sync`` writes it in the transaction that changes
the facts (``aggregates`` says what each fact counts; ``huajie stats rebuild`` recomputes it).
"""

from __future__ import annotations

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class StatCount(Base):
    """How many facts of one ``statistic`` fell on one day (``grain`` "d", ``span`` YYYY-MM-DD),
    month ("m", YYYY-MM) or year ("y", YYYY), Shanghai time, for one unit (0: none; -1: all
    units together) and ``key``.

    Every fact is counted in its day, its month and its year: a period reads whole years, whole
    months and the remaining days, so its cost grows with its length in years.
    """

    __tablename__ = "stat_counts"
    # the key reads every unit's rows of a span range; the index one unit's (or the totals');
    # both hold ``n``: a read touches no other page (SQLite keeps the rows in key order)
    __table_args__ = (
        Index("ix_stat_counts_unit", "statistic", "grain", "unit_id", "span", "key", "n"),
        {"sqlite_with_rowid": False},
    )

    statistic: Mapped[str] = mapped_column(String(16), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    span: Mapped[str] = mapped_column(String(10), primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
