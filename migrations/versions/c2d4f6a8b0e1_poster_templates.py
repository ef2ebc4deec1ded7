"""poster templates: a brand's own background and boxes; a campaign may choose one; retired avatar files

Revision ID: c2d4f6a8b0e1
Revises: f3b8d2a6c4e9
Create Date: 2026-11-30 19:10:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from plumbing import database

revision: str = 'c2d4f6a8b0e1'
down_revision: Union[str, Sequence[str], None] = 'f3b8d2a6c4e9'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'poster_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('layouts', sa.JSON(), nullable=False),
        sa.Column('background_key', sa.String(length=200), nullable=True),
        sa.Column('background_width', sa.Integer(), nullable=True),
        sa.Column('background_height', sa.Integer(), nullable=True),
        sa.Column('created_at', database.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('poster_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poster_templates_workspace_id'), ['workspace_id'], unique=False)
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template_id', sa.Integer(), nullable=True))
    op.create_table(
        'retired_avatars',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('storage_key', sa.String(length=80), nullable=False),
        sa.Column('retired_at', database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('retired_avatars', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retired_avatars_storage_key'), ['storage_key'], unique=False)
    with op.batch_alter_table('renders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('avatar_key', sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f('ix_renders_avatar_key'), ['avatar_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('renders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_renders_avatar_key'))
        batch_op.drop_column('avatar_key')
    with op.batch_alter_table('retired_avatars', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retired_avatars_storage_key'))
    op.drop_table('retired_avatars')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('template_id')
    with op.batch_alter_table('poster_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poster_templates_workspace_id'))
    op.drop_table('poster_templates')
