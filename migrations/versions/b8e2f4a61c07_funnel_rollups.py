"""funnel rollups: who brought each customer, each sharer's first sale, each link's first click

Revision ID: b8e2f4a61c07
Revises: c6a1d3e5f7b9
Create Date: 2026-11-30 15:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

from plumbing import database


revision: str = 'b8e2f4a61c07'
down_revision: Union[str, Sequence[str], None] = 'c6a1d3e5f7b9'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# A purchase, as the rollups count it: a sale not refunded in full.
_BOUGHT = "c.type = 'sale' AND c.refunded_minor < c.amount_minor"


def upgrade() -> None:
    op.create_table('sharer_first_sales',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('sharer_id', sa.Integer(), nullable=False),
    sa.Column('first_sale_at', database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('workspace_id', 'sharer_id', name=op.f('pk_sharer_first_sales'))
    )
    with op.batch_alter_table('customer_summaries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('brought_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_campaign_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_customer_summaries_brought_by', ['workspace_id', 'brought_by', 'first_campaign_id'],
                              unique=False)
    with op.batch_alter_table('link_click_totals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_click_at', database.UTCDateTime(timezone=True), nullable=True))
    _backfill()


def _backfill() -> None:
    """The new columns for everything recorded so far (afterwards the writers keep them)."""
    first = ("(SELECT {col} FROM conversions c WHERE c.workspace_id = customer_summaries.workspace_id "
             "AND c.customer_sharer_id = customer_summaries.customer_sharer_id AND " + _BOUGHT +
             " ORDER BY c.occurred_at, c.id LIMIT 1)")
    op.execute(f"UPDATE customer_summaries SET first_campaign_id = {first.format(col='c.campaign_id')}, "
               f"brought_by = {first.format(col='CASE WHEN c.self_referral THEN NULL ELSE c.sharer_id END')}")
    op.execute("UPDATE customer_summaries SET brought_by = NULL WHERE brought_by = customer_sharer_id")
    op.execute("INSERT INTO sharer_first_sales (workspace_id, sharer_id, first_sale_at) "
               "SELECT c.workspace_id, c.sharer_id, MIN(c.occurred_at) FROM conversions c "
               f"WHERE {_BOUGHT} AND c.sharer_id IS NOT NULL AND NOT c.self_referral "
               "GROUP BY c.workspace_id, c.sharer_id")
    # Clicks older than the retention period are gone: then the last click is the earliest known.
    op.execute("UPDATE link_click_totals SET first_click_at = COALESCE((SELECT MIN(k.clicked_at) FROM clicks k "
               "WHERE k.link_id = link_click_totals.link_id AND NOT k.bot), last_click_at)")


def downgrade() -> None:
    with op.batch_alter_table('link_click_totals', schema=None) as batch_op:
        batch_op.drop_column('first_click_at')
    with op.batch_alter_table('customer_summaries', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_summaries_brought_by')
        batch_op.drop_column('first_campaign_id')
        batch_op.drop_column('brought_by')
    op.drop_table('sharer_first_sales')
