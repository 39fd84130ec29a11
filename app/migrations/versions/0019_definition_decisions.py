"""a definition's DMN decision tables, versioned with its diagram; a task's instructions;
process messages sent by name and correlation

Revision ID: 0019
Revises: 0024
Create Date: 2026-12-06

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision: str = "0019"
down_revision: Union[str, Sequence[str], None] = "0024"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("decisions", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("instructions", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "process_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("correlation", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("delivered_to", sa.JSON(), nullable=False),
        sa.Column("started", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("process_messages")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("instructions")
    with op.batch_alter_table("process_definitions", schema=None) as batch_op:
        batch_op.drop_column("decisions")
