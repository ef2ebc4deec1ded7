"""product links: a seller's link for one product of a campaign lands on that product's page

Revision ID: c6a2d8e4f1b3
Revises: b3e7f1a2c9d4
Create Date: 2026-11-30 16:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'c6a2d8e4f1b3'
down_revision: Union[str, Sequence[str], None] = 'b3e7f1a2c9d4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_links_product_id_products'), 'products', ['product_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('uq_links_campaign_id_sharer_id_channel'), type_='unique')
        batch_op.create_index('uq_links_general', ['campaign_id', 'sharer_id', 'channel'], unique=True,
                              sqlite_where=sa.text('product_id IS NULL'),
                              postgresql_where=sa.text('product_id IS NULL'))
        batch_op.create_index('uq_links_product', ['campaign_id', 'sharer_id', 'channel', 'product_id'], unique=True,
                              sqlite_where=sa.text('product_id IS NOT NULL'),
                              postgresql_where=sa.text('product_id IS NOT NULL'))


def downgrade() -> None:
    """Downgrade schema."""
    # Before product links a (campaign, sharer, channel) had one link: product links go (their
    # clicks and sales keep their link id, as for any link deleted by hand).
    op.execute("DELETE FROM links WHERE product_id IS NOT NULL")
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.drop_index('uq_links_product')
        batch_op.drop_index('uq_links_general')
        batch_op.create_unique_constraint(batch_op.f('uq_links_campaign_id_sharer_id_channel'),
                                          ['campaign_id', 'sharer_id', 'channel'])
        batch_op.drop_constraint(batch_op.f('fk_links_product_id_products'), type_='foreignkey')
        batch_op.drop_column('product_id')
