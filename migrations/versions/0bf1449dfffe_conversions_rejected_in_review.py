"""conversions rejected in review: a sale carries whether risk review rejected it, and the seller's
index carries that too, so the refund-share rule leaves rejected sales out from the index alone

Revision ID: 0bf1449dfffe
Revises: f4b6d8a0c2e3
Create Date: 2026-12-02 11:19:09.372036

The column is filled from the reviews rejected so far. The index replaces ix_conversions_seller_sales
(the same columns and ``rejected``); on PostgreSQL it is built and the old one dropped CONCURRENTLY,
outside the migration's transaction, as e2a4c6e8f0b1 did, so sales keep being written meanwhile.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from plumbing import migrate

# revision identifiers, used by Alembic.
revision: str = '0bf1449dfffe'
down_revision: Union[str, Sequence[str], None] = 'f4b6d8a0c2e3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NEW = ('ix_conversions_seller_counted', ['sharer_id', 'type', 'id', 'amount_minor', 'refunded_minor', 'rejected'])
OLD = ('ix_conversions_seller_sales', ['sharer_id', 'type', 'id', 'amount_minor', 'refunded_minor'])


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rejected', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE conversions SET rejected = true WHERE id IN "
               "(SELECT conversion_id FROM risk_reviews WHERE status = 'rejected')")
    migrate.replace_index('conversions', NEW, OLD[0])


def downgrade() -> None:
    """Downgrade schema."""
    migrate.replace_index('conversions', OLD, NEW[0])
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.drop_column('rejected')
