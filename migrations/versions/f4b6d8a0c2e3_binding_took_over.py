"""binding took over: the binding a takeover ended, so rejecting every order of the new one in risk
review puts the old one back in force

Revision ID: f4b6d8a0c2e3
Revises: e2a4c6e8f0b1
Create Date: 2026-12-01 09:50:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'f4b6d8a0c2e3'
down_revision: Union[str, Sequence[str], None] = 'e2a4c6e8f0b1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema: a nullable column (takeovers before it are not known: left empty)."""
    with op.batch_alter_table('customer_bindings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('took_over_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('customer_bindings', schema=None) as batch_op:
        batch_op.drop_column('took_over_id')
