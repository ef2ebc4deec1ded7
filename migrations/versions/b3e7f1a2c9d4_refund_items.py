"""refund_items: refunds may name lines of their sale; each line keeps what was refunded of it

Revision ID: b3e7f1a2c9d4
Revises: c3a9d5e7f102
Create Date: 2026-11-30 15:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b3e7f1a2c9d4'
down_revision: Union[str, Sequence[str], None] = 'c3a9d5e7f102'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('refund_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversion_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('sku', sa.String(length=64), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['conversion_id'], ['conversions.id'], name=op.f('fk_refund_items_conversion_id_conversions')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_refund_items_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_items'))
    )
    with op.batch_alter_table('refund_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_items_conversion_id'), ['conversion_id'], unique=False)
    with op.batch_alter_table('conversion_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_minor', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('refunded_quantity', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('conversion_items', schema=None) as batch_op:
        batch_op.drop_column('refunded_quantity')
        batch_op.drop_column('refunded_minor')
    with op.batch_alter_table('refund_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_items_conversion_id'))
    op.drop_table('refund_items')
