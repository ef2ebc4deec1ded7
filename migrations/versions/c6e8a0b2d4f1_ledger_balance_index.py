"""ledger balance index: the sharer's index on ledger lines holds the amounts, so a balance is
summed from the index alone (the earnings GET)

Revision ID: c6e8a0b2d4f1
Revises: b3e5d7f9a1c4
Create Date: 2026-12-01 03:50:00

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = 'c6e8a0b2d4f1'
down_revision: Union[str, Sequence[str], None] = 'b3e5d7f9a1c4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema: the new index first, so the sharer's lines are never without one."""
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_sharer_balance', ['sharer_id', 'currency', 'bucket', 'amount_minor'],
                              unique=False)
        batch_op.drop_index('ix_ledger_sharer_bucket')


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_sharer_bucket', ['sharer_id', 'currency', 'bucket'], unique=False)
        batch_op.drop_index('ix_ledger_sharer_balance')
