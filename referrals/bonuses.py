"""Target bonuses meet refunds, and the one count behind a target: a sharer's own sales.

A target counts the sharer's own orders that count (``stats.counted_sales``: attributed, not a
self-referral, not wholly refunded, not rejected in risk review: it pays nothing) in its currency
and period, of its campaign when it names one; its figure is their number (``orders``) or their
amount less refunds (``net_sales``). Recruits never count. A refund, before the bonus is approved, that takes the sharer below the
threshold reverses the whole bonus under its own kind, never a commission, and so does the
rejection of a held sale; counted like the booking, from the sales recorded before the bonus was booked.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from referrals import ledger
from referrals.leaderboard import sales_in_window
from referrals.models import Conversion, TargetBonus

MEASURES = ("net_sales", "orders")


def own_figures(session: Session, workspace_id: int, currency: str, start: datetime, end: datetime, *,
                campaign_id: int | None = None, sharer_ids: list[int] | None = None,
                recorded_before: datetime | None = None) -> dict[int, dict[str, int]]:
    """``{sharer_id: {"orders", "net_sales"}}`` of the sharers with counted sales in [start, end)."""
    where = [*sales_in_window(workspace_id, currency, start, end)]
    if campaign_id is not None:
        where.append(Conversion.campaign_id == campaign_id)
    if sharer_ids is not None:
        where.append(Conversion.sharer_id.in_(sharer_ids))
    if recorded_before is not None:
        where.append(Conversion.created_at < recorded_before)
    return {int(sharer_id): {"orders": int(orders), "net_sales": int(net)} for sharer_id, orders, net in session.execute(
        select(Conversion.sharer_id, func.count(), func.sum(Conversion.amount_minor - Conversion.refunded_minor))
        .where(*where).group_by(Conversion.sharer_id))}


def reverse_for_refund(session: Session, sale: Conversion, refund_id: int, memo: str | None = None) -> None:
    """Reverse the pending bonuses ``sale`` counted towards whose sharer it now takes below the threshold
    (call after the sale's ``refunded_minor`` is updated, or its review rejected: then ``refund_id`` is the
    sale's own id and ``memo`` says so)."""
    if sale.sharer_id is None or sale.self_referral or sale.attribution.startswith("none:"):
        return
    for bonus in session.scalars(select(TargetBonus).where(
            TargetBonus.sharer_id == sale.sharer_id, TargetBonus.status == "pending",
            TargetBonus.currency == sale.currency, TargetBonus.period_start <= sale.occurred_at,
            TargetBonus.period_end > sale.occurred_at, TargetBonus.created_at > sale.created_at)
            .order_by(TargetBonus.id).with_for_update()):
        if bonus.campaign_id is not None and bonus.campaign_id != sale.campaign_id:
            continue
        now = own_figures(session, bonus.workspace_id, bonus.currency, bonus.period_start, bonus.period_end,
                          campaign_id=bonus.campaign_id, sharer_ids=[bonus.sharer_id],
                          recorded_before=bonus.created_at).get(bonus.sharer_id, {"orders": 0, "net_sales": 0})
        left = bonus.amount_minor - bonus.reversed_minor
        if now[bonus.measure] < bonus.threshold and left > 0:
            ledger.reverse_prize(session, bonus, left, refund_id,
                                 memo=memo or f"refund of order {sale.order_id}: below the target")
