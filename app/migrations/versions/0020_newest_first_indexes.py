"""newest-first indexes: lists filtered by unit, process, status or recipient read their page

A list of instances of one unit (or process, or status), a person's notifications and a unit's
reminders are newest first (by id). With the filter column alone indexed, PostgreSQL sorted every
matching row of twenty years to show fifty; (column, id) reads the page in index order.

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-06

"""

from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = "0020"
# main's head when rebased (the lead re-chains)
down_revision: Union[str, Sequence[str], None] = "0018"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# (table, column, the single-column index it replaces or None, the new index)
NEWEST_FIRST = (
    ("process_instances", "unit_id", "ix_process_instances_unit_id", "ix_process_instances_unit_newest"),
    ("process_instances", "process_id", "ix_process_instances_process_id", "ix_process_instances_process_newest"),
    ("process_instances", "status", "ix_process_instances_status", "ix_process_instances_status_newest"),
    ("reminders", "unit_id", "ix_reminders_unit_id", "ix_reminders_unit_newest"),
    ("notifications", "user_id", None, "ix_notifications_user_newest"),
)  # fmt: skip


def upgrade() -> None:
    """Upgrade schema."""
    for table, column, old, new in NEWEST_FIRST:
        op.create_index(new, table, [column, "id"], unique=False)
        if old is not None:
            op.drop_index(old, table_name=table)


def downgrade() -> None:
    """Downgrade schema."""
    for table, column, old, new in NEWEST_FIRST:
        if old is not None:
            op.create_index(old, table, [column], unique=False)
        op.drop_index(new, table_name=table)
