"""conversion ip_prefix: the keyed hash of a sale's buyer's IP prefix, for the many-orders-from-one-network rule

Revision ID: e7a3c5b1d9f2
Revises: fd53ea6f2ee3
Create Date: 2026-11-30 19:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'e7a3c5b1d9f2'
down_revision: Union[str, Sequence[str], None] = 'fd53ea6f2ee3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ip_prefix', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_conversions_ip_prefix', ['workspace_id', 'ip_prefix', 'occurred_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('conversions', schema=None) as batch_op:
        batch_op.drop_index('ix_conversions_ip_prefix')
        batch_op.drop_column('ip_prefix')
