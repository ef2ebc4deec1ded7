"""What sharers earn, line by line: commissions, ledger lines with their reasons, performance.

Read-only services for the marketer console, the seller portal and the API:
each takes a session and ids, filters by the workspace, and answers plain
dicts (money as decimal strings with their currency, times as aware datetimes).
Lists answer ``{"items": [...], "next_cursor": str | None}``, newest first.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from catalog.campaigns import get_campaign
from catalog.models import Campaign
from plumbing.database import utcnow
from plumbing.errors import ApiError
from plumbing.money import format_amount
from plumbing.pagination import DEFAULT_LIMIT, newest_first
from referrals import ledger
from referrals.models import Commission, Conversion, LedgerEntry, LinkClickTotal, Payout, Sharer
from referrals.sharers import get_sharer
from referrals.stats import not_rejected_in_review
from workspaces.models import Workspace


def list_commissions(session: Session, workspace_id: int, *, status: str | None = None,
                     sharer_id: int | None = None, campaign_id: int | None = None, due: bool | None = None,
                     cursor: str | None = None, limit: int = DEFAULT_LIMIT, now: datetime | None = None) -> dict:
    """The workspace's commission lines, newest first, filtered as given.

    ``due=True`` keeps what POST /commissions/approve would approve at ``now``
    (pending and past its holding period); ``due=False`` the rest.
    :raise ApiError 404: a sharer or campaign of another workspace.
    :raise ApiError 422: a cursor this list did not give.
    """
    now = now or utcnow()
    if sharer_id is not None:
        get_sharer(session, workspace_id, sharer_id)
    if campaign_id is not None:
        get_campaign(session, workspace_id, campaign_id)
    is_due = (Commission.status == "pending") & (Commission.approvable_at <= now)
    query = select(Commission).where(Commission.workspace_id == workspace_id)
    for column, value in ((Commission.status, status), (Commission.sharer_id, sharer_id),
                          (Commission.campaign_id, campaign_id)):
        if value is not None:
            query = query.where(column == value)
    if due is not None:
        query = query.where(is_due if due else ~is_due)
    page, next_cursor = newest_first(session, query, Commission.created_at, Commission.id, cursor, limit)
    labels = {row[0]: row[1:] for row in session.execute(
        select(Commission.id, Sharer.name, Campaign.title, Conversion.order_id)
        .join(Sharer, Sharer.id == Commission.sharer_id)
        .outerjoin(Campaign, Campaign.id == Commission.campaign_id)
        .outerjoin(Conversion, Conversion.id == Commission.conversion_id)
        .where(Commission.id.in_([c.id for c in page])))}
    items = [{
        "id": c.id, "sharer_id": c.sharer_id, "sharer_name": labels[c.id][0], "campaign_id": c.campaign_id,
        "campaign_title": labels[c.id][1], "order_id": labels[c.id][2], "level": c.level,
        "amount": format_amount(c.amount_minor, c.currency),
        "reversed_amount": format_amount(c.reversed_minor, c.currency), "currency": c.currency,
        "status": c.status, "due": c.status == "pending" and c.approvable_at <= now,
        "approvable_at": c.approvable_at, "approved_at": c.approved_at, "paid_at": c.paid_at,
        "payout_id": c.payout_id, "created_at": c.created_at,
    } for c in page]
    return {"items": items, "next_cursor": next_cursor}


def reason_code(entry_reason: str, level: int | None) -> str:
    """The stable code pages translate, for a LedgerEntry.reason (see referrals/ledger.py)."""
    if entry_reason == "commission":
        return "invite_bonus_earned" if level == 2 else "commission_earned"
    return {"reversal": "reversed_by_refund", "clawback": "clawback_after_payout", "approval": "approved",
            "payout": "paid_in_payout", "withdrawal_hold": "held_for_withdrawal",
            "withdrawal_release": "returned_from_withdrawal", "rejection": "rejected_after_review"}.get(entry_reason, entry_reason)


def ledger_lines(session: Session, workspace_id: int, sharer_id: int, *,
                 cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> dict:
    """The sharer's ledger entries, newest first, each with a ``reason`` code and what its sentence needs.

    Every movement between buckets is two lines (out of one bucket, into the
    other); booking a commission is one (into pending).
    :raise ApiError 404: no such sharer in this workspace.
    :raise ApiError 422: a cursor this list did not give.
    """
    get_sharer(session, workspace_id, sharer_id)
    page, next_cursor = newest_first(
        session, select(LedgerEntry).where(LedgerEntry.workspace_id == workspace_id, LedgerEntry.sharer_id == sharer_id),
        LedgerEntry.created_at, LedgerEntry.id, cursor, limit)
    sale, moved_by, seller = aliased(Conversion), aliased(Conversion), aliased(Sharer)
    context = {row[0]: row[1:] for row in session.execute(
        select(LedgerEntry.id, Commission.status, Commission.level, Commission.campaign_id, Campaign.title,
               sale.order_id, moved_by.type, moved_by.refund_id, sale.sharer_id, seller.name, Payout.batch_id)
        .outerjoin(Commission, Commission.id == LedgerEntry.commission_id)
        .outerjoin(Campaign, Campaign.id == Commission.campaign_id)
        .outerjoin(sale, sale.id == Commission.conversion_id)
        .outerjoin(seller, seller.id == sale.sharer_id)
        .outerjoin(moved_by, moved_by.id == LedgerEntry.conversion_id)
        .outerjoin(Payout, Payout.id == LedgerEntry.payout_id)
        .where(LedgerEntry.id.in_([e.id for e in page])))}
    items = []
    for e in page:
        status, level, campaign_id, title, order_id, by_type, refund_id, seller_id, seller_name, batch_id = context[e.id]
        invite_bonus = level == 2
        items.append({
            "id": e.id, "reason": reason_code(e.reason, level), "bucket": e.bucket,
            "amount": format_amount(e.amount_minor, e.currency), "currency": e.currency, "created_at": e.created_at,
            "commission_id": e.commission_id, "commission_status": status, "level": level,
            "campaign_id": campaign_id, "campaign_title": title, "order_id": order_id,
            "refund_id": (refund_id or None) if by_type == "refund" else None,
            "seller_id": seller_id if invite_bonus else None, "seller_name": seller_name if invite_bonus else None,
            "payout_id": e.payout_id, "batch_id": batch_id,
        })
    return {"items": items, "next_cursor": next_cursor}


def sharer_performance(session: Session, workspace_id: int, sharer_id: int, *, campaign_id: int | None = None,
                       currency: str | None = None) -> dict:
    """Clicks, unique clicks, attributed orders, revenue net of refunds, and earnings by state.

    Orders, revenue and refunds are of the sharer's attributed sales, refunded or not, except those
    rejected in risk review (a rejected sale counts nowhere; one still in review counts).

    Money is in ``currency``: by default the campaign's (with ``campaign_id``),
    else the workspace's; sales in other currencies are not counted.
    :raise ApiError 404: no such sharer or campaign in this workspace.
    :raise ApiError 422: a currency other than the campaign's.
    """
    get_sharer(session, workspace_id, sharer_id)
    campaign = get_campaign(session, workspace_id, campaign_id) if campaign_id is not None else None
    if campaign is not None and currency not in (None, campaign.currency):
        raise ApiError(422, "validation_error", f"The campaign sells in {campaign.currency}.",
                       {"currency": f"must be {campaign.currency}"})
    currency = currency or (campaign.currency if campaign else session.get(Workspace, workspace_id).currency)
    clicks = (select(func.coalesce(func.sum(LinkClickTotal.clicks), 0),
                     func.coalesce(func.sum(LinkClickTotal.unique_clicks), 0))
              .where(LinkClickTotal.workspace_id == workspace_id, LinkClickTotal.sharer_id == sharer_id))
    sales = (select(func.count(), func.coalesce(func.sum(Conversion.amount_minor), 0),
                    func.coalesce(func.sum(Conversion.refunded_minor), 0))
             .where(Conversion.workspace_id == workspace_id, Conversion.type == "sale",
                    Conversion.sharer_id == sharer_id, Conversion.attribution.not_like("none:%"),
                    Conversion.currency == currency, not_rejected_in_review()))
    if campaign is not None:
        clicks = clicks.where(LinkClickTotal.campaign_id == campaign.id)
        sales = sales.where(Conversion.campaign_id == campaign.id)
    click_count, unique_count = session.execute(clicks).one()
    orders, gross, refunded = session.execute(sales).one()
    if campaign is None:
        money = ledger.earnings(session, sharer_id, currency)
    else:
        money = campaign_earnings(session, sharer_id, campaign.id, currency)
    return {
        "sharer_id": sharer_id, "campaign_id": campaign.id if campaign else None, "currency": currency,
        "clicks": int(click_count), "unique_clicks": int(unique_count), "orders": int(orders),
        "revenue": format_amount(int(gross) - int(refunded), currency),
        "refunds": format_amount(int(refunded), currency),
        "earnings": money,
    }


def campaign_earnings(session: Session, sharer_id: int, campaign_id: int, currency: str) -> dict[str, str]:
    """One campaign's commissions of a sharer by status, net of refunds; ``reversed`` what refunds took.

    (The ledger's buckets cannot be split by campaign: one payout nets every
    campaign's balance, clawbacks included.)
    """
    totals = dict.fromkeys(ledger.BUCKETS, 0)
    for status, kept, taken in session.execute(
            select(Commission.status, func.sum(Commission.amount_minor - Commission.reversed_minor),
                   func.sum(Commission.reversed_minor))
            .where(Commission.sharer_id == sharer_id, Commission.campaign_id == campaign_id,
                   Commission.currency == currency).group_by(Commission.status)):
        totals["pending" if status == "held" else status] += int(kept)  # held: pending money, under review
        totals["reversed"] += int(taken)
    return {"currency": currency, **{bucket: format_amount(minor, currency) for bucket, minor in totals.items()}}
