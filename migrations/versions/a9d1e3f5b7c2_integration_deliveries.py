"""integration_deliveries: each integration's latest notifications, for the console's log

Revision ID: a9d1e3f5b7c2
Revises: c2d4f6a8b0e1
Create Date: 2026-11-30 20:05:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


# revision identifiers, used by Alembic.
revision: str = 'a9d1e3f5b7c2'
down_revision: Union[str, Sequence[str], None] = 'c2d4f6a8b0e1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'integration_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('integration_id', sa.Integer(), nullable=False),
        sa.Column('received_at', database.UTCDateTime(), nullable=False),
        sa.Column('status', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=300), nullable=True),
        sa.Column('orders', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'],
                                name=op.f('fk_integration_deliveries_integration_id_integrations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_deliveries')),
    )
    with op.batch_alter_table('integration_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integration_deliveries_integration_id'), ['integration_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('integration_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integration_deliveries_integration_id'))
    op.drop_table('integration_deliveries')
