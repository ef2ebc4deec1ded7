"""Contest prizes meet refunds and rejections: a refund of a sale a prize was won with, before the prize
is approved, takes back the same share of it (the prize's own ledger kind, never a commission); a sale
rejected in risk review takes back its whole share, as a refund of all that was left of it would.

The frozen ranking stands: nothing re-ranks the teams or grows another prize after the result was
booked; the one who won with the sale gives back exactly the part of their share that the sale made.
"""
from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from referrals import ledger
from referrals.commission import kept_after_refunds
from referrals.models import Conversion, Prize, RiskReview


def reverse_for_refund(session: Session, sale: Conversion, refunded_now: int, refund_id: int) -> None:
    """Shrink the pending prizes ``sale`` counted towards, in proportion to ``refunded_now`` of it
    (nothing when the sale was rejected in review: :func:`reverse_for_rejection` took its share already).

    A prize counted the sale when the sale is the prize's sharer's, counted as contests count
    (attributed, not a self-referral, in the prize's currency), inside the contest period and
    recorded before the result was frozen. Computed from totals, like commissions, so any
    sequence of partial refunds nets exactly.
    """
    _take_back(session, sale, refunded_now, refund_id, f"refund of order {sale.order_id}",
               ~exists().where(RiskReview.conversion_id == sale.id, RiskReview.status == "rejected"))


def reverse_for_rejection(session: Session, sale: Conversion) -> None:
    """A sale rejected in review (its review marked rejected, flushed or not): the pending prizes it counted
    towards give back its share, as if what was left of it were refunded now (under the sale's own id)."""
    _take_back(session, sale, sale.amount_minor - sale.refunded_minor, sale.id,
               f"order {sale.order_id} rejected in review")


def _take_back(session: Session, sale: Conversion, refunded_now: int, refund_id: int, memo: str, *also) -> None:
    if refunded_now <= 0 or sale.sharer_id is None or sale.self_referral or sale.attribution.startswith("none:"):
        return
    for prize in session.scalars(select(Prize).where(
            Prize.sharer_id == sale.sharer_id, Prize.status == "pending", Prize.currency == sale.currency,
            Prize.period_start <= sale.occurred_at, Prize.period_end > sale.occurred_at,
            Prize.created_at > sale.created_at, Prize.basis_minor > 0, *also).order_by(Prize.id).with_for_update()):
        prize.refunded_minor = min(prize.basis_minor, prize.refunded_minor + refunded_now)
        kept = kept_after_refunds(prize.amount_minor, prize.basis_minor, prize.refunded_minor)
        delta = prize.amount_minor - prize.reversed_minor - kept
        if delta > 0:
            ledger.reverse_prize(session, prize, delta, refund_id, memo=memo)
