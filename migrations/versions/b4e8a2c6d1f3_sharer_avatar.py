"""sharer avatar: the photo a sharer's posters show beside their name

Revision ID: b4e8a2c6d1f3
Revises: c4f6e8a0b2d3
Create Date: 2026-11-30 15:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'b4e8a2c6d1f3'
down_revision: Union[str, Sequence[str], None] = 'c4f6e8a0b2d3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('sharers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('avatar_key', sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sharers', schema=None) as batch_op:
        batch_op.drop_column('avatar_key')
