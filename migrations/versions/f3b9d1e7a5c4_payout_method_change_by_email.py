"""payout method change by email: an email-only seller confirms with an emailed code; sharers.email_changed_at

Revision ID: f3b9d1e7a5c4
Revises: e7a3c5b1d9f2
Create Date: 2026-11-30 19:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


revision: str = 'f3b9d1e7a5c4'
down_revision: Union[str, Sequence[str], None] = 'e7a3c5b1d9f2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('sharers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_changed_at', database.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('payout_method_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=320), nullable=True))
        batch_op.alter_column('phone', existing_type=sa.String(length=32), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM payout_method_changes WHERE phone IS NULL")
    with op.batch_alter_table('payout_method_changes', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_column('email')
    with op.batch_alter_table('sharers', schema=None) as batch_op:
        batch_op.drop_column('email_changed_at')
