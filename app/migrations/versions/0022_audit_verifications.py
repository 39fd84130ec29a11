"""audit verifications recorded in a table; audit events indexed for paging within a filter

Each verification of the audit chain becomes a row (who, when, which events, the result, the
signature of the verified checkpoint it wrote). The audit page pages events by id within a
filter (action, actor, instance, case): the single-column indexes become (column, id), and the
actor gets one. Indexes are made with plain CREATE INDEX, never a batch table rebuild, which
would drop the append-only triggers on SQLite. On a large log (millions of events) building the
indexes takes a while: upgrade with the app stopped, as always.

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.base import UTCDateTime

# revision identifiers, used by Alembic.
revision: str = "0022"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PAGED = {  # old single-column index -> its (column, id) successor
    "ix_audit_events_action": ("ix_audit_events_action_id", "action"),
    "ix_audit_events_instance_id": ("ix_audit_events_instance_id_id", "instance_id"),
    "ix_audit_events_case_id": ("ix_audit_events_case_id_id", "case_id"),
}


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "audit_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("daily", sa.Boolean(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=True),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("first_seq", sa.Integer(), nullable=True),
        sa.Column("last_seq", sa.Integer(), nullable=True),
        sa.Column("broken_event_id", sa.Integer(), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("verified_hash", sa.String(length=64), nullable=True),
        sa.Column("checkpoint_at", UTCDateTime(), nullable=True),
        sa.Column("checkpoint_mac", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_verifications")),
    )
    for old, (new, column) in _PAGED.items():
        op.create_index(new, "audit_events", [column, "id"], unique=False)
        op.drop_index(old, table_name="audit_events")
    op.create_index("ix_audit_events_actor_id", "audit_events", ["actor", "id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_audit_events_actor_id", table_name="audit_events")
    for old, (new, column) in _PAGED.items():
        op.create_index(old, "audit_events", [column], unique=False)
        op.drop_index(new, table_name="audit_events")
    op.drop_table("audit_verifications")
