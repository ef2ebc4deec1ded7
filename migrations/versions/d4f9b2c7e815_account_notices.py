"""account_notices: the email to the staff when a brand account needs connecting again

Revision ID: d4f9b2c7e815
Revises: c8e1a4b6d293
Create Date: 2026-11-30 13:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


# revision identifiers, used by Alembic.
revision: str = 'd4f9b2c7e815'
down_revision: Union[str, Sequence[str], None] = 'c8e1a4b6d293'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('account_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('incident', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_account_notices_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_notices')),
    sa.UniqueConstraint('workspace_id', 'channel', 'incident', name=op.f('uq_account_notices_workspace_id_channel_incident'))
    )
    with op.batch_alter_table('account_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_notices_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_notices_workspace_id'), ['workspace_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('account_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_notices_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_account_notices_status'))
    op.drop_table('account_notices')
