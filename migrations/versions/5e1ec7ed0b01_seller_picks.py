"""seller picks (选品): the products a seller shares

Revision ID: 5e1ec7ed0b01
Revises: d81f4c2b9e60
Create Date: 2026-11-30 13:35:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


revision: str = '5e1ec7ed0b01'
down_revision: Union[str, Sequence[str], None] = 'd81f4c2b9e60'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('seller_picks',
    sa.Column('sharer_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('created_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_seller_picks_product_id_products')),
    sa.ForeignKeyConstraint(['sharer_id'], ['sharers.id'], name=op.f('fk_seller_picks_sharer_id_sharers')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_seller_picks_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('sharer_id', 'product_id', name=op.f('pk_seller_picks'))
    )
    with op.batch_alter_table('seller_picks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seller_picks_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seller_picks_workspace_id'), ['workspace_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('seller_picks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seller_picks_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_seller_picks_product_id'))
    op.drop_table('seller_picks')
