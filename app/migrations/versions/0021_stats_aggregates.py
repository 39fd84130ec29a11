"""the statistics' aggregates: day, month and year counts, filled from the facts

Revision ID: 0021
Revises: 0022
Create Date: 2026-12-06

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0021"
down_revision: Union[str, Sequence[str], None] = "0022"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "stat_counts",
        sa.Column("statistic", sa.String(length=16), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("span", sa.String(length=10), nullable=False),
        sa.Column("unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "statistic", "grain", "span", "unit_id", "key", name=op.f("pk_stat_counts")
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_stat_counts_unit",
        "stat_counts",
        ["statistic", "grain", "unit_id", "span", "key", "n"],
        unique=False,
    )
    # what the facts recorded so far count (the same code as ``huajie stats rebuild``)
    from app.services.reporting import aggregates

    aggregates.rebuild(op.get_bind())


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_stat_counts_unit", table_name="stat_counts")
    op.drop_table("stat_counts")
