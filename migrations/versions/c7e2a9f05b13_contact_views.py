"""contact views: every look at a sharer's full phone and email

Revision ID: c7e2a9f05b13
Revises: a3c9e1d4b7f2
Create Date: 2026-11-30 12:25:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


revision: str = 'c7e2a9f05b13'
down_revision: Union[str, Sequence[str], None] = 'a3c9e1d4b7f2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('contact_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sharer_id', sa.Integer(), nullable=False),
    sa.Column('created_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sharer_id'], ['sharers.id'], name=op.f('fk_contact_views_sharer_id_sharers')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contact_views_user_id_users')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_contact_views_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_views'))
    )
    with op.batch_alter_table('contact_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_views_sharer_id'), ['sharer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_views_workspace_id'), ['workspace_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('contact_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_views_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_contact_views_sharer_id'))
    op.drop_table('contact_views')
