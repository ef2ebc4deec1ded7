"""cohort count slots: each cohort cell spread over rows by the customer's id, so sales with new
buyers in one month no longer wait on one row; what was counted stays in slot 0

Revision ID: d8f0b2c4e6a3
Revises: c4f6a8b0d2e1
Create Date: 2026-12-01 04:20:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'd8f0b2c4e6a3'
down_revision: Union[str, Sequence[str], None] = 'c4f6a8b0d2e1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KEY = ['workspace_id', 'first_month', 'month']


def upgrade() -> None:
    """Upgrade schema: a ``slot`` column (0 for every row there) joins the primary key."""
    with op.batch_alter_table('cohort_counts', schema=None, recreate='always') as batch_op:
        batch_op.add_column(sa.Column('slot', sa.SmallInteger(), server_default='0', nullable=False))
        batch_op.drop_constraint('pk_cohort_counts', type_='primary')
        batch_op.create_primary_key('pk_cohort_counts', [*KEY, 'slot'])


def downgrade() -> None:
    """Downgrade schema: each cell's slots summed back into one row."""
    cells = sa.table('cohort_counts', *(sa.column(c) for c in (*KEY, 'slot', 'customers')))
    bind = op.get_bind()
    totals = bind.execute(sa.select(*(cells.c[c] for c in KEY), sa.func.sum(cells.c.customers))
                          .group_by(*(cells.c[c] for c in KEY))).all()
    op.execute(cells.delete())
    with op.batch_alter_table('cohort_counts', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('pk_cohort_counts', type_='primary')
        batch_op.drop_column('slot')
        batch_op.create_primary_key('pk_cohort_counts', KEY)
    if totals:
        plain = sa.table('cohort_counts', *(sa.column(c) for c in (*KEY, 'customers')))
        op.bulk_insert(plain, [dict(zip((*KEY, 'customers'), row)) for row in totals])
