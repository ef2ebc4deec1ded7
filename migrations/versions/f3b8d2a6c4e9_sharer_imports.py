"""sharer_imports: a CSV import of sharers (bulk invitations) run in the background, with its progress and outcomes

Revision ID: f3b8d2a6c4e9
Revises: f3b9d1e7a5c4
Create Date: 2026-11-30 19:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


# revision identifiers, used by Alembic.
revision: str = 'f3b8d2a6c4e9'
down_revision: Union[str, Sequence[str], None] = 'f3b9d1e7a5c4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('sharer_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('csv', sa.Text(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('created_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('existing', sa.Integer(), nullable=False),
    sa.Column('invite', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sharer_imports_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sharer_imports'))
    )
    with op.batch_alter_table('sharer_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sharer_imports_workspace_id'), ['workspace_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('sharer_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sharer_imports_workspace_id'))
    op.drop_table('sharer_imports')
