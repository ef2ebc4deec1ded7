"""post_states: where a submitted post stands on the platform (the Official Account's review)

Revision ID: c8e1a4b6d293
Revises: b5d2f7a9c134
Create Date: 2026-11-30 13:45:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


# revision identifiers, used by Alembic.
revision: str = 'c8e1a4b6d293'
down_revision: Union[str, Sequence[str], None] = 'b5d2f7a9c134'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('post_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('checked_at', database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_check_at', database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('checks', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['publication_id'], ['publications.id'], name=op.f('fk_post_states_publication_id_publications')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_post_states_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_states')),
    sa.UniqueConstraint('publication_id', name=op.f('uq_post_states_publication_id'))
    )
    with op.batch_alter_table('post_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_states_next_check_at'), ['next_check_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_post_states_workspace_id'), ['workspace_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('post_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_states_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_post_states_next_check_at'))
    op.drop_table('post_states')
