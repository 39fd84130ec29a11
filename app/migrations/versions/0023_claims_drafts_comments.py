"""claims (认领) on tasks, their process, drafts (暂存) and comments (办理意见)

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-06

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime


# revision identifiers, used by Alembic.
revision: str = "0023"
down_revision: Union[str, Sequence[str], None] = "0020"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("process_id", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("claimed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_tasks_claimed_by_id_users"), "users", ["claimed_by_id"], ["id"]
        )
        batch_op.create_index(
            "ix_tasks_inbox_process", ["unit_id", "status", "process_id", "due_at"], unique=False
        )
        batch_op.create_index(
            "ix_tasks_claimed", ["claimed_by_id", "unit_id", "status", "due_at"], unique=False
        )
    op.execute(
        "UPDATE tasks SET process_id = (SELECT process_id FROM process_instances "
        "WHERE process_instances.id = tasks.instance_id)"
    )
    op.create_table(
        "task_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("saved_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_drafts_task_id_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_task_drafts_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_drafts")),
        sa.UniqueConstraint("task_id", "user_id", name=op.f("uq_task_drafts_task_id")),
    )
    op.create_index(op.f("ix_task_drafts_task_id"), "task_drafts", ["task_id"], unique=False)
    op.create_table(
        "task_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_comments_task_id_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name=op.f("fk_task_comments_instance_id_process_instances"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_task_comments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_comments")),
    )
    op.create_index(
        op.f("ix_task_comments_instance_id"), "task_comments", ["instance_id"], unique=False
    )
    op.create_index("ix_task_comments_task", "task_comments", ["task_id", "id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_task_comments_task", table_name="task_comments")
    op.drop_index(op.f("ix_task_comments_instance_id"), table_name="task_comments")
    op.drop_table("task_comments")
    op.drop_index(op.f("ix_task_drafts_task_id"), table_name="task_drafts")
    op.drop_table("task_drafts")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_claimed")
        batch_op.drop_index("ix_tasks_inbox_process")
        batch_op.drop_constraint(batch_op.f("fk_tasks_claimed_by_id_users"), type_="foreignkey")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by_id")
        batch_op.drop_column("process_id")
