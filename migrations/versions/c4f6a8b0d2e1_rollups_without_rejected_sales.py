"""rollups without rejected sales: the customer summaries, months, cohort counts and first sales of the
buyers and sellers of a sale rejected in risk review, rebuilt without it (a rejected sale counts nowhere;
before, the rollups kept it as a purchase and a first sale)

Revision ID: c4f6a8b0d2e1
Revises: c6e8a0b2d4f1
Create Date: 2026-12-01 04:00:00

"""
from datetime import datetime
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from plumbing import database
from referrals.customer_rollup import rollup_rows

# revision identifiers, used by Alembic.
revision: str = 'c4f6a8b0d2e1'
down_revision: Union[str, Sequence[str], None] = 'c6e8a0b2d4f1'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_REJECTED = "EXISTS (SELECT 1 FROM risk_reviews r WHERE r.conversion_id = c.id AND r.status = 'rejected')"
_SUMMARIES = sa.table("customer_summaries", *(sa.column(c) for c in (
    "workspace_id", "customer_sharer_id", "purchases", "net_minor", "gap_seconds", "brought_by", "first_campaign_id")),
    sa.column("first_at", database.UTCDateTime()), sa.column("second_at", database.UTCDateTime()))
_MONTHS = sa.table("customer_months", *(sa.column(c) for c in ("workspace_id", "customer_sharer_id", "month",
                                                               "first_month")))
_FIRST_SALES = sa.table("sharer_first_sales", sa.column("workspace_id"), sa.column("sharer_id"),
                        sa.column("first_sale_at", database.UTCDateTime()))


def upgrade() -> None:
    conn = op.get_bind()

    def utc(value):
        return database.UTCDateTime().process_result_value(
            datetime.fromisoformat(value) if isinstance(value, str) else value, conn.dialect)

    currencies = dict(conn.execute(sa.text("SELECT id, currency FROM workspaces")).all())
    for workspace_id, customer in conn.execute(sa.text(
            "SELECT DISTINCT c.workspace_id, c.customer_sharer_id FROM conversions c "
            f"WHERE c.type = 'sale' AND c.customer_sharer_id IS NOT NULL AND {_REJECTED}")).all():
        mine = {"w": workspace_id, "c": customer}
        bought = [(utc(at), net, currency, seller, campaign_id, bool(self_referral))
                  for at, net, currency, seller, campaign_id, self_referral in conn.execute(sa.text(
                      "SELECT c.occurred_at, c.amount_minor - c.refunded_minor, c.currency, c.sharer_id, "
                      "c.campaign_id, c.self_referral FROM conversions c "
                      "WHERE c.workspace_id = :w AND c.customer_sharer_id = :c AND c.type = 'sale' "
                      f"AND c.refunded_minor < c.amount_minor AND NOT {_REJECTED} ORDER BY c.occurred_at, c.id"),
                      mine)]
        summary, months = rollup_rows(workspace_id, customer, bought, currencies[workspace_id])
        old = set(conn.execute(sa.text("SELECT first_month, month FROM customer_months "
                                       "WHERE workspace_id = :w AND customer_sharer_id = :c"), mine).all())
        for table in ("customer_summaries", "customer_months"):
            conn.execute(sa.text(f"DELETE FROM {table} WHERE workspace_id = :w AND customer_sharer_id = :c"), mine)
        if summary is not None:
            conn.execute(_SUMMARIES.insert(), [summary])
            conn.execute(_MONTHS.insert(), months)
        new = {(m["first_month"], m["month"]) for m in months}
        for (first_month, month), step in sorted([(cell, -1) for cell in old - new] + [(cell, 1) for cell in new - old]):
            cell = {"w": workspace_id, "f": first_month, "m": month, "step": step}
            moved = conn.execute(sa.text("UPDATE cohort_counts SET customers = customers + :step "
                                         "WHERE workspace_id = :w AND first_month = :f AND month = :m"), cell)
            if moved.rowcount == 0 and step > 0:
                conn.execute(sa.text("INSERT INTO cohort_counts (workspace_id, first_month, month, customers) "
                                     "VALUES (:w, :f, :m, 1)"), cell)
    for workspace_id, sharer_id in conn.execute(sa.text(
            "SELECT DISTINCT c.workspace_id, c.sharer_id FROM conversions c WHERE c.type = 'sale' "
            f"AND c.sharer_id IS NOT NULL AND NOT c.self_referral AND {_REJECTED}")).all():
        mine = {"w": workspace_id, "s": sharer_id}
        first = conn.scalar(sa.text(
            "SELECT MIN(c.occurred_at) FROM conversions c WHERE c.workspace_id = :w AND c.sharer_id = :s "
            f"AND c.type = 'sale' AND NOT c.self_referral AND c.refunded_minor < c.amount_minor AND NOT {_REJECTED}"),
            mine)
        conn.execute(sa.text("DELETE FROM sharer_first_sales WHERE workspace_id = :w AND sharer_id = :s"), mine)
        if first is not None:
            conn.execute(_FIRST_SALES.insert(), [{"workspace_id": workspace_id, "sharer_id": sharer_id,
                                                  "first_sale_at": utc(first)}])


def downgrade() -> None:
    """Nothing to undo: the rollups stay as rebuilt (the code before this one kept them only as sales came)."""
