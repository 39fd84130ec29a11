"""matters' titles (事项名称) as the tasks that submitted them wrote them, for the inbox search;
filled from the tasks completed before

Revision ID: 0025
Revises: 0023
Create Date: 2026-12-06

"""

import json
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: Union[str, Sequence[str], None] = "0023"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TITLE_FIELD, MAX_TITLE = "title", 200  # as app.services.execution.matter_titles says


def upgrade() -> None:
    titles = op.create_table(
        "matter_titles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instances.id"],
            name=op.f("fk_matter_titles_instance_id_process_instances"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_matter_titles_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matter_titles")),
        sa.UniqueConstraint("task_id", name=op.f("uq_matter_titles_task_id")),
    )
    op.create_index(
        op.f("ix_matter_titles_instance_id"), "matter_titles", ["instance_id"], unique=False
    )
    tasks = sa.table(
        "tasks", sa.column("id"), sa.column("instance_id"), sa.column("status"),
        sa.column("data", sa.Text()),
    )  # fmt: skip
    rows = op.get_bind().execute(
        sa.select(tasks.c.id, tasks.c.instance_id, tasks.c.data).where(
            tasks.c.status == "completed", sa.cast(tasks.c.data, sa.Text).like('%"title"%')
        )
    )
    found = []
    for task_id, instance_id, data in rows:
        value = (json.loads(data) if isinstance(data, str) else data or {}).get(TITLE_FIELD)
        if isinstance(value, str) and value.strip():
            found.append(
                {"task_id": task_id, "instance_id": instance_id, "title": value.strip()[:MAX_TITLE]}
            )
    if found:
        op.bulk_insert(titles, found)


def downgrade() -> None:
    op.drop_index(op.f("ix_matter_titles_instance_id"), table_name="matter_titles")
    op.drop_table("matter_titles")
