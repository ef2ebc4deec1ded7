"""campaign look, badges, seller opener and photo focus

Revision ID: a7c3e91d5b20
Revises: c7e2a9f05b13
Create Date: 2026-11-30 12:15:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = 'a7c3e91d5b20'
down_revision: Union[str, Sequence[str], None] = 'c7e2a9f05b13'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('look', sa.String(length=16), server_default='clean', nullable=False))
        batch_op.add_column(sa.Column('badges', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('seller_opener', sa.String(length=200), server_default='', nullable=False))
    with op.batch_alter_table('campaign_images', schema=None) as batch_op:
        batch_op.add_column(sa.Column('focus_x', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('focus_y', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('campaign_images', schema=None) as batch_op:
        batch_op.drop_column('focus_y')
        batch_op.drop_column('focus_x')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('seller_opener')
        batch_op.drop_column('badges')
        batch_op.drop_column('look')
