"""case numbers normalised

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-06

Court case numbers entered before normalisation (``app/case_numbers.py``) are rewritten in the
canonical form, so that a court message or a search with either spelling finds them. A number
whose canonical form another case already has is left as it was (two rows that are one case:
an administrator merges them by hand) and named in the log.
"""

import logging
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from app.case_numbers import normalize

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

log = logging.getLogger("alembic.runtime.migration")
cases = sa.table(
    "cases", sa.column("id", sa.Integer), sa.column("case_no", sa.String),
    sa.column("kind", sa.String),
)  # fmt: skip


def upgrade() -> None:
    connection = op.get_bind()
    taken = set(connection.scalars(sa.select(cases.c.case_no)))
    # court cases only: a reconsideration decision's number (its 文号, 〔〕 and all) stays
    rows = connection.execute(
        sa.select(cases.c.id, cases.c.case_no).where(cases.c.kind == "litigation")
    ).all()
    for case_id, case_no in rows:
        canonical = normalize(case_no)
        if canonical == case_no:
            continue
        if canonical in taken:
            log.warning(
                "案号 %r 与已有案件 %r 相同，未改写（案件 %s）", case_no, canonical, case_id
            )
            continue
        connection.execute(cases.update().where(cases.c.id == case_id).values(case_no=canonical))
        taken.discard(case_no)
        taken.add(canonical)


def downgrade() -> None:
    """The spellings before normalisation are not kept: nothing to undo."""
