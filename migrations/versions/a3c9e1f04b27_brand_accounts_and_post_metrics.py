"""brand accounts and post metrics

Revision ID: a3c9e1f04b27
Revises: a7c3e91d5b20
Create Date: 2026-11-30 12:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


# revision identifiers, used by Alembic.
revision: str = 'a3c9e1f04b27'
down_revision: Union[str, Sequence[str], None] = 'a7c3e91d5b20'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('brand_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('sealed', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('expires_at', database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('connected_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refreshed_at', database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_brand_accounts_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brand_accounts')),
    sa.UniqueConstraint('workspace_id', 'channel', name=op.f('uq_brand_accounts_workspace_id_channel'))
    )
    with op.batch_alter_table('brand_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_brand_accounts_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_brand_accounts_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('post_metrics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('likes', sa.Integer(), nullable=True),
    sa.Column('reposts', sa.Integer(), nullable=True),
    sa.Column('replies', sa.Integer(), nullable=True),
    sa.Column('views', sa.Integer(), nullable=True),
    sa.Column('fetched_at', database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_fetch_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['publication_id'], ['publications.id'], name=op.f('fk_post_metrics_publication_id_publications')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_post_metrics_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_metrics')),
    sa.UniqueConstraint('publication_id', name=op.f('uq_post_metrics_publication_id'))
    )
    with op.batch_alter_table('post_metrics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_metrics_next_fetch_at'), ['next_fetch_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_post_metrics_workspace_id'), ['workspace_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('post_metrics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_metrics_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_post_metrics_next_fetch_at'))
    op.drop_table('post_metrics')
    with op.batch_alter_table('brand_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_brand_accounts_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_brand_accounts_expires_at'))
    op.drop_table('brand_accounts')
