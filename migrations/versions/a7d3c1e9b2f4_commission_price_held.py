"""commission price_held: which of the two holds (price or risk) keeps a commission held

Revision ID: a7d3c1e9b2f4
Revises: d4f9b2c7e815
Create Date: 2026-11-30 13:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'a7d3c1e9b2f4'
down_revision: Union[str, Sequence[str], None] = 'd4f9b2c7e815'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('commissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_held', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Held commissions of a sale with an off-price line were held by the price path.
    op.execute("UPDATE commissions SET price_held = true WHERE status = 'held' AND conversion_id IN "
               "(SELECT conversion_id FROM conversion_items WHERE flag IN ('above_brand_price', 'below_brand_price'))")


def downgrade() -> None:
    with op.batch_alter_table('commissions', schema=None) as batch_op:
        batch_op.drop_column('price_held')
