"""sales_imports: a CSV import of past sales run in the background, with its progress and outcomes

Revision ID: d2f7a9c3e6b1
Revises: c6a2d8e4f1b3
Create Date: 2026-11-30 16:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


# revision identifiers, used by Alembic.
revision: str = 'd2f7a9c3e6b1'
down_revision: Union[str, Sequence[str], None] = 'c6a2d8e4f1b3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('sales_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('csv', sa.Text(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('replayed', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('created_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sales_imports_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_imports'))
    )
    with op.batch_alter_table('sales_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_imports_workspace_id'), ['workspace_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('sales_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_imports_workspace_id'))
    op.drop_table('sales_imports')
