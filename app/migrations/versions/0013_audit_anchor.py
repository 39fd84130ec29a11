"""audit chain anchored outside the database: place, chain version and state digests

Every existing event keeps its sha256 hash and becomes chain version 1 (written before the key);
``seq`` numbers the chain in the order it was written (by id). The append-only triggers are
lifted for the numbering and put back. After upgrading, ``huajie audit verify --full`` checks the
old chain once and signs the first checkpoint (see docs/operations.md).

Revision ID: 0013
Revises: 0014
Create Date: 2026-12-01

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _append_only(on: bool) -> None:
    """The triggers of 0002: dropped (SQLite; a table rebuild would lose them anyway) or
    disabled (PostgreSQL) while the old rows are numbered."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            if on:
                op.execute(
                    f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
                )
            else:
                op.execute(f"DROP TRIGGER audit_events_no_{verb.lower()}")
    else:
        state = "ENABLE" if on else "DISABLE"
        op.execute(f"ALTER TABLE audit_events {state} TRIGGER audit_events_append_only")


def upgrade() -> None:
    """Upgrade schema."""
    _append_only(False)
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("chain", sa.SmallInteger(), nullable=False, server_default="1")
        )
        batch_op.add_column(sa.Column("state", sa.JSON(), nullable=True))
    op.execute(
        "UPDATE audit_events SET seq = numbered.n FROM "
        "(SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_events) AS numbered "
        "WHERE numbered.id = audit_events.id"
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("chain", existing_type=sa.SmallInteger(), server_default=None)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_seq"), ["seq"])
    _append_only(True)


def downgrade() -> None:
    """Downgrade schema (events written with the key keep hashes that only the key verifies)."""
    _append_only(False)
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_events_seq"), type_="unique")
        batch_op.drop_column("state")
        batch_op.drop_column("chain")
        batch_op.drop_column("seq")
    _append_only(True)
