"""Contest prizes meet refunds: a refund of a sale a prize was won with, before the prize is
approved, takes back the same share of it (the prize's own ledger kind, never a commission)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from referrals import ledger
from referrals.commission import kept_after_refunds
from referrals.models import Conversion, Prize


def reverse_for_refund(session: Session, sale: Conversion, refunded_now: int, refund_id: int) -> None:
    """Shrink the pending prizes ``sale`` counted towards, in proportion to ``refunded_now`` of it.

    A prize counted the sale when the sale is the prize's sharer's, counted as contests count
    (attributed, not a self-referral, in the prize's currency), inside the contest period and
    recorded before the result was frozen. Computed from totals, like commissions, so any
    sequence of partial refunds nets exactly.
    """
    if refunded_now <= 0 or sale.sharer_id is None or sale.self_referral or sale.attribution.startswith("none:"):
        return
    for prize in session.scalars(select(Prize).where(
            Prize.sharer_id == sale.sharer_id, Prize.status == "pending", Prize.currency == sale.currency,
            Prize.period_start <= sale.occurred_at, Prize.period_end > sale.occurred_at,
            Prize.created_at > sale.created_at, Prize.basis_minor > 0).with_for_update()):
        prize.refunded_minor = min(prize.basis_minor, prize.refunded_minor + refunded_now)
        kept = kept_after_refunds(prize.amount_minor, prize.basis_minor, prize.refunded_minor)
        delta = prize.amount_minor - prize.reversed_minor - kept
        if delta > 0:
            ledger.reverse_prize(session, prize, delta, refund_id, memo=f"refund of order {sale.order_id}")
