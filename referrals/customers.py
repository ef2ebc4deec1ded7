"""A sharer's customers: who they brought, how often those buy again (复购率)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plumbing.database import utcnow
from plumbing.money import format_amount
from plumbing.pagination import DEFAULT_LIMIT, newest_first
from referrals.models import CustomerBinding


def mask(binding: CustomerBinding) -> str:
    """Enough of the contact to recognise a customer, never enough to copy it."""
    if binding.phone:
        return f"{binding.phone[:-8]}****{binding.phone[-4:]}" if len(binding.phone) > 8 else "****"
    if binding.email:
        name, _, domain = binding.email.partition("@")
        return f"{name[:1]}***@{domain}"
    ref = binding.external_id or ""
    return f"{ref[:1]}***{ref[-1:]}" if len(ref) > 2 else "***"


def list_customers(session: Session, sharer_id: int, cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> dict:
    """One page of the sharer's customers, newest binding first, with the totals over all of them. A
    binding whose every order was rejected in risk review (none left) is no customer of theirs."""
    now = utcnow()
    mine = (CustomerBinding.sharer_id == sharer_id, CustomerBinding.orders > 0)
    rows, next_cursor = newest_first(session, select(CustomerBinding).where(*mine),
                                     CustomerBinding.created_at, CustomerBinding.id, cursor, limit)
    customers, repeat = session.execute(
        select(func.count(), func.count().filter(CustomerBinding.orders >= 2)).where(*mine)).one()
    return {
        "items": [{"id": b.id, "contact": mask(b), "first_order_at": b.first_order_at.isoformat(),
                   "last_order_at": b.last_order_at.isoformat(), "orders": b.orders,
                   "net_sales": format_amount(b.net_sales_minor, b.currency), "currency": b.currency,
                   "bound": b.ended_at is None and (b.expires_at is None or b.expires_at > now),
                   "expires_at": b.expires_at.isoformat() if b.expires_at else None} for b in rows],
        "next_cursor": next_cursor, "customers": customers, "repeat_customers": repeat,
        "repeat_rate": str((Decimal(repeat) / customers).quantize(Decimal("0.0001")) if customers else Decimal(0)),
    }
