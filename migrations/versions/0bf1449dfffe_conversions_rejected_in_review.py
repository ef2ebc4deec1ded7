"""conversions rejected in review: a sale carries whether risk review rejected it (filled here from the
reviews rejected so far); the seller's index learns it in the next revision, 7c1d3e5f9a2b

Revision ID: 0bf1449dfffe
Revises: f4b6d8a0c2e3
Create Date: 2026-12-02 11:19:09.372036

One transaction on both backends: the column and its fill land together or not at all (the index,
built CONCURRENTLY on PostgreSQL outside any transaction, is a revision of its own).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0bf1449dfffe'
down_revision: Union[str, Sequence[str], None] = 'f4b6d8a0c2e3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# (idempotent: 7c1d3e5f9a2b runs it again, for rejections by processes of the version before)
FILL = ("UPDATE conversions SET rejected = true WHERE rejected = false AND id IN "
        "(SELECT conversion_id FROM risk_reviews WHERE status = 'rejected')")


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rejected', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(FILL)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.drop_column('rejected')
