"""ledger balances and horizon: each sharer's ledger lines summed by currency and bucket up to a
horizon the checkpoint job moves on (referrals/balances.py), so a balance no longer sums every line
of a sharer's history; ix_ledger_sharer_lines, a sharer's lines by id with their amounts, replaces
ix_ledger_sharer_balance, so the lines after the horizon are summed from the index alone;
ix_ledger_workspace_lines, a workspace's lines by id, replaces ix_ledger_entries_workspace_id, so
a payout run finds the lines after the horizon without the ones before

Revision ID: d5b7e9f1a3c6
Revises: 7c1d3e5f9a2b
Create Date: 2026-12-03 20:30:00

The horizon starts at 0 with no balances: every line is after it, so balances are what they were
(summed from the lines) until the job's first run moves it on, in steps, from the oldest lines.
On PostgreSQL the new indexes are built and the old ones dropped CONCURRENTLY (see
plumbing.migrate.replace_index): safe to run again if stopped halfway.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from plumbing import migrate
from plumbing.database import UTCDateTime, utcnow

# revision identifiers, used by Alembic.
revision: str = 'd5b7e9f1a3c6'
down_revision: Union[str, Sequence[str], None] = '7c1d3e5f9a2b'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NEW = ('ix_ledger_sharer_lines', ['sharer_id', 'id', 'currency', 'bucket', 'amount_minor'])
OLD = ('ix_ledger_sharer_balance', ['sharer_id', 'currency', 'bucket', 'amount_minor'])
NEW_WORKSPACE = ('ix_ledger_workspace_lines', ['workspace_id', 'id'])
OLD_WORKSPACE = ('ix_ledger_entries_workspace_id', ['workspace_id'])


def upgrade() -> None:
    """Upgrade schema: the indexes first (on PostgreSQL each commits on its own, so an upgrade
    stopped after them runs again from the start, as after the tables)."""
    migrate.replace_index('ledger_entries', NEW, OLD[0])
    migrate.replace_index('ledger_entries', NEW_WORKSPACE, OLD_WORKSPACE[0])
    horizon = op.create_table(
        'ledger_horizon',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('through_id', sa.BigInteger(), nullable=False),
        sa.Column('moved_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_horizon')),
    )
    op.bulk_insert(horizon, [{'id': 1, 'through_id': 0, 'moved_at': utcnow()}])
    op.create_table(
        'ledger_balances',
        sa.Column('sharer_id', sa.Integer(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('bucket', sa.String(length=16), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['sharer_id'], ['sharers.id'], name=op.f('fk_ledger_balances_sharer_id_sharers')),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                                name=op.f('fk_ledger_balances_workspace_id_workspaces')),
        sa.PrimaryKeyConstraint('sharer_id', 'currency', 'bucket', name=op.f('pk_ledger_balances')),
    )
    op.create_index('ix_ledger_balances_workspace', 'ledger_balances',
                    ['workspace_id', 'bucket', 'sharer_id', 'currency', 'amount_minor'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    migrate.replace_index('ledger_entries', OLD_WORKSPACE, NEW_WORKSPACE[0])
    migrate.replace_index('ledger_entries', OLD, NEW[0])
    op.drop_index('ix_ledger_balances_workspace', table_name='ledger_balances')
    op.drop_table('ledger_balances')
    op.drop_table('ledger_horizon')
