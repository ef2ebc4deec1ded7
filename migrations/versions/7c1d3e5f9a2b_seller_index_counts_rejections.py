"""seller index counts rejections: ix_conversions_seller_counted, the seller's sales by whether review
rejected them, then by id, with their amounts, replaces ix_conversions_seller_sales, so the
refund-share rule reads the latest 1,000 sales not rejected from the index alone, and no more

Revision ID: 7c1d3e5f9a2b
Revises: 0bf1449dfffe
Create Date: 2026-12-02 12:05:00

The fill of 0bf1449dfffe runs again first: a process of the version before, still running while the
upgrade ran, may have rejected a sale since (it knew no column to set). One still running after
this revision can do so too: stop the previous version's processes before upgrading, or run this
revision's statement again afterwards. On PostgreSQL the index is built and the old one dropped
CONCURRENTLY (see plumbing.migrate.replace_index): safe to run again if stopped halfway.
"""
from typing import Sequence, Union

from alembic import op

from plumbing import migrate

# revision identifiers, used by Alembic.
revision: str = '7c1d3e5f9a2b'
down_revision: Union[str, Sequence[str], None] = '0bf1449dfffe'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

FILL = ("UPDATE conversions SET rejected = true WHERE rejected = false AND id IN "
        "(SELECT conversion_id FROM risk_reviews WHERE status = 'rejected')")
NEW = ('ix_conversions_seller_counted', ['sharer_id', 'type', 'rejected', 'id', 'amount_minor', 'refunded_minor'])
OLD = ('ix_conversions_seller_sales', ['sharer_id', 'type', 'id', 'amount_minor', 'refunded_minor'])


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(FILL)
    migrate.replace_index('conversions', NEW, OLD[0])


def downgrade() -> None:
    """Downgrade schema."""
    migrate.replace_index('conversions', OLD, NEW[0])
