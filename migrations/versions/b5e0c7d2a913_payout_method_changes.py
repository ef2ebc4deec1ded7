"""payout method changes wait for a texted code

Revision ID: b5e0c7d2a913
Revises: b4e8a2c6d1f3
Create Date: 2026-11-30 15:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


revision: str = 'b5e0c7d2a913'
down_revision: Union[str, Sequence[str], None] = 'b4e8a2c6d1f3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('payout_method_changes',
    sa.Column('sharer_id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('rail', sa.String(length=16), nullable=False),
    sa.Column('sealed', sa.Text(), nullable=False),
    sa.Column('masked', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('sent_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('window_started_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('codes_sent', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['sharer_id'], ['sharers.id'], name=op.f('fk_payout_method_changes_sharer_id_sharers')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_payout_method_changes_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('sharer_id', name=op.f('pk_payout_method_changes'))
    )
    with op.batch_alter_table('payout_method_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_method_changes_workspace_id'), ['workspace_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payout_method_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_method_changes_workspace_id'))
    op.drop_table('payout_method_changes')
