"""seller sales index: a seller's sales by id with their amounts, so the refund-share rule reads a
seller's latest sales from the index alone; it replaces the index on sharer_id alone

Revision ID: e2a4c6e8f0b1
Revises: d8f0b2c4e6a3
Create Date: 2026-12-01 09:10:00

On PostgreSQL both indexes are built and dropped CONCURRENTLY (outside the migration's
transaction), so sales keep being written while a large ``conversions`` table is indexed; the
statements are idempotent, for a node that runs the upgrade at the same moment as another.
"""
from typing import Sequence, Union

from plumbing import migrate

# revision identifiers, used by Alembic.
revision: str = 'e2a4c6e8f0b1'
down_revision: Union[str, Sequence[str], None] = 'd8f0b2c4e6a3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NEW = ('ix_conversions_seller_sales', ['sharer_id', 'type', 'id', 'amount_minor', 'refunded_minor'])
OLD = ('ix_conversions_sharer_id', ['sharer_id'])


def upgrade() -> None:
    """Upgrade schema."""
    migrate.replace_index('conversions', NEW, OLD[0])


def downgrade() -> None:
    """Downgrade schema."""
    migrate.replace_index('conversions', OLD, NEW[0])
