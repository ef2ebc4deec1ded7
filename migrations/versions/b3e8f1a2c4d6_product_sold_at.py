"""product sold_at: when a product first sold (archived, never deleted, from then on)

Revision ID: b3e8f1a2c4d6
Revises: a7d3c1e9b2f4
Create Date: 2026-11-30 16:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


revision: str = 'b3e8f1a2c4d6'
down_revision: Union[str, Sequence[str], None] = 'a7d3c1e9b2f4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sold_at', database.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE products SET sold_at = (SELECT MIN(conversions.created_at) FROM conversion_items "
               "JOIN conversions ON conversions.id = conversion_items.conversion_id "
               "WHERE conversion_items.product_id = products.id)")


def downgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('sold_at')
