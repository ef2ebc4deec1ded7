"""seller sales index: a seller's sales by id with their amounts, so the refund-share rule reads a
seller's latest sales from the index alone; it replaces the index on sharer_id alone

Revision ID: e2a4c6e8f0b1
Revises: d8f0b2c4e6a3
Create Date: 2026-12-01 09:10:00

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'e2a4c6e8f0b1'
down_revision: Union[str, Sequence[str], None] = 'd8f0b2c4e6a3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema: the new index first, so a seller's sales are never without one."""
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.create_index('ix_conversions_seller_sales',
                              ['sharer_id', 'type', 'id', 'amount_minor', 'refunded_minor'], unique=False)
        batch_op.drop_index('ix_conversions_sharer_id')


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.create_index('ix_conversions_sharer_id', ['sharer_id'], unique=False)
        batch_op.drop_index('ix_conversions_seller_sales')
