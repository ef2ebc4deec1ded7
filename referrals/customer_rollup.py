"""Keeps each buyer's purchase summary and purchase months up to date as sales and refunds are recorded,
so the figures (repurchase, lifetime value, cohorts) read one row per customer, never every order."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from plumbing import database
from referrals.models import Conversion, CustomerMonth, CustomerSummary
from workspaces.models import Workspace


def rollup_rows(workspace_id: int, customer_id: int, bought: list[tuple[datetime, int, str]],
                currency: str) -> tuple[dict | None, list[dict]]:
    """Pure: a customer's summary row and month rows from their purchases ``(occurred_at, net minor,
    currency)`` in time order (sales not refunded in full); (None, []) without any.
    """
    if not bought:
        return None, []
    first, second = bought[0][0], bought[1][0] if len(bought) > 1 else None
    summary = {"workspace_id": workspace_id, "customer_sharer_id": customer_id, "first_at": first,
               "second_at": second,
               "gap_seconds": None if second is None else int(second.timestamp()) - int(first.timestamp()),
               "purchases": len(bought), "net_minor": sum(net for _, net, cur in bought if cur == currency)}
    months = sorted({at.year * 12 + at.month - 1 for at, _, _ in bought})
    return summary, [{"workspace_id": workspace_id, "customer_sharer_id": customer_id, "month": m,
                      "first_month": months[0]} for m in months]


def refresh_customer(session: Session, workspace_id: int, customer_id: int) -> None:
    """Recompute one customer's rows from their own sales (an indexed read of a handful of orders).

    One customer at a time (a transaction lock): two orders of one buyer recorded at once
    rebuild the rows one after the other, the second seeing the first's sale.
    """
    database.lock(session, f"customer:{workspace_id}:{customer_id}")
    currency = session.scalar(select(Workspace.currency).where(Workspace.id == workspace_id))
    bought = session.execute(
        select(Conversion.occurred_at, Conversion.amount_minor - Conversion.refunded_minor, Conversion.currency)
        .where(Conversion.workspace_id == workspace_id, Conversion.customer_sharer_id == customer_id,
               Conversion.type == "sale", Conversion.refunded_minor < Conversion.amount_minor)
        .order_by(Conversion.occurred_at, Conversion.id)).all()
    session.execute(delete(CustomerSummary).where(CustomerSummary.workspace_id == workspace_id,
                                                  CustomerSummary.customer_sharer_id == customer_id))
    session.execute(delete(CustomerMonth).where(CustomerMonth.workspace_id == workspace_id,
                                                CustomerMonth.customer_sharer_id == customer_id))
    summary, months = rollup_rows(workspace_id, customer_id, [tuple(row) for row in bought], currency)
    if summary is not None:
        session.execute(insert(CustomerSummary), [summary])
        session.execute(insert(CustomerMonth), months)
