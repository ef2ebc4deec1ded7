"""integrations

Revision ID: b4d2f6e8a012
Revises: a3c1e5d7f901
Create Date: 2026-11-30 12:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


revision: str = 'b4d2f6e8a012'
down_revision: Union[str, Sequence[str], None] = 'a3c1e5d7f901'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'integrations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=32), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('sealed', sa.Text(), nullable=False),
        sa.Column('field_names', sa.JSON(), nullable=False),
        sa.Column('created_at', database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_received_at', database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token'),
        sa.UniqueConstraint('workspace_id', 'provider'),
    )
    with op.batch_alter_table('integrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integrations_workspace_id'), ['workspace_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('integrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integrations_workspace_id'))
    op.drop_table('integrations')
