"""sharer phone_changed_at: payout details wait two days after a seller sets a new phone number

Revision ID: c6a1d3e5f7b9
Revises: b5e0c7d2a913
Create Date: 2026-11-30 16:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


revision: str = 'c6a1d3e5f7b9'
down_revision: Union[str, Sequence[str], None] = 'b5e0c7d2a913'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('sharers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_changed_at', database.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sharers', schema=None) as batch_op:
        batch_op.drop_column('phone_changed_at')
