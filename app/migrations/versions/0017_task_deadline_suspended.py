"""a task's suspended deadline (中止) as a field, not a phrase in its due rule

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-06

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0017"
down_revision: Union[str, Sequence[str], None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deadline_suspended", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # the tasks whose deadline timer is parked today
    op.execute(
        "UPDATE tasks SET deadline_suspended = true WHERE id IN "
        "(SELECT task_record_id FROM timers WHERE status = 'suspended' "
        "AND task_record_id IS NOT NULL)"
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("deadline_suspended")
