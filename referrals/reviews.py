"""Holding flagged sales for a person: gathering a sale's risk facts, holding its commissions,
releasing or rejecting them, and deciding the holds nobody reviewed in time.

Held commissions keep their money in the ledger's ``pending`` bucket (nothing is lost
or invented) but ``status = "held"``, so approval passes them by. Release makes them
pending again (approved after the holding period as usual); rejection reverses them.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Select, Subquery, func, select
from sqlalchemy.orm import Session

from plumbing.errors import ApiError
from plumbing.pagination import DEFAULT_LIMIT, newest_first
from referrals import binding, bonuses, customer_rollup, ledger, prizes
from referrals.identity import same_person
from referrals.models import Click, Commission, Conversion, RiskReview, RiskSettings, Sharer
from referrals.risk import RECENT_SALES, SaleFacts, flags, merged

DEFAULT_HOLD_DAYS = 14


def settings_for(session: Session, workspace_id: int) -> RiskSettings:
    """The workspace's risk settings (the defaults, unsaved, when it never set them)."""
    return session.get(RiskSettings, workspace_id) or RiskSettings(
        workspace_id=workspace_id, rules={}, hold_days=DEFAULT_HOLD_DAYS, expiry_decision="release")


def settings_json(settings: RiskSettings) -> dict:
    return {"rules": merged(settings.rules or {}), "hold_days": settings.hold_days,
            "expiry_decision": settings.expiry_decision}


def recent_sales(seller, but: int | None = None) -> Subquery:
    """The seller's latest ``RECENT_SALES`` sales (amount and refunds), but the sale ``but`` and those
    rejected in review (a rejected sale counts nowhere; one still in review counts): what the
    refund-share rule weighs, read newest first from ``ix_conversions_seller_counted`` alone.
    ``seller``: an id, or a SQL expression giving one."""
    query = select(Conversion.amount_minor, Conversion.refunded_minor).where(
        Conversion.sharer_id == seller, Conversion.type == "sale", Conversion.rejected.is_(False))
    if but is not None:
        query = query.where(Conversion.id != but)
    return query.order_by(Conversion.id.desc()).limit(RECENT_SALES).subquery("recent_sales")


def sales_so_far(recent: Subquery) -> Select:
    """One row: how many of ``recent`` (see :func:`recent_sales`), their gross and their refunds."""
    return select(func.count().label("sales"), func.coalesce(func.sum(recent.c.amount_minor), 0).label("gross"),
                  func.coalesce(func.sum(recent.c.refunded_minor), 0).label("refunded"))


def save_settings(session: Session, workspace_id: int, rules: dict, hold_days: int, expiry_decision: str) -> RiskSettings:
    """Store the brand's rule changes (already validated by the schema); the caller commits."""
    settings = session.get(RiskSettings, workspace_id)
    if settings is None:
        settings = RiskSettings(workspace_id=workspace_id)
        session.add(settings)
    settings.rules, settings.hold_days, settings.expiry_decision = rules, hold_days, expiry_decision
    return settings


def sale_facts(session: Session, conversion: Conversion, sharer: Sharer, customer: dict, buyer_id: int | None,
               rules: dict, new_buyer: bool = False, seller_totals: tuple[int, int, int] | None = None) -> SaleFacts:
    """What the rules look at, for a sale just written (its row flushed). ``new_buyer``: enrolled
    by this sale, so this is their one sale (through this one sharer). ``seller_totals``: the
    sharer's sales, gross and refunded before this one, when the caller read them already."""
    # (not session.get: a click's key is its id and its time, for PostgreSQL's partitions)
    click = session.scalar(select(Click).where(Click.id == conversion.click_id)) if conversion.click_id else None
    seconds = (conversion.occurred_at - click.clicked_at).total_seconds() if click else None
    visitor_orders = 0
    if click is not None and rules.get("visitor_orders") is not None:
        since = conversion.occurred_at - timedelta(minutes=rules["visitor_orders"]["minutes"])
        visitor_orders = session.scalar(
            select(func.count(Conversion.id)).join(Click, Click.id == Conversion.click_id)
            .where(Conversion.workspace_id == conversion.workspace_id, Conversion.type == "sale",
                   Click.visitor == click.visitor, Conversion.occurred_at >= since))
    ip_prefix_orders = 0
    if conversion.ip_prefix is not None and rules.get("ip_prefix_orders") is not None:
        ip_prefix_orders = count_from_network(session, conversion, rules["ip_prefix_orders"]["minutes"])
    customer_sharers = 1
    if buyer_id is not None and not new_buyer and rules.get("customer_sharers") is not None:
        since = conversion.occurred_at - timedelta(days=rules["customer_sharers"]["days"])
        customer_sharers = session.scalar(
            select(func.count(func.distinct(Conversion.sharer_id)))
            .where(Conversion.workspace_id == conversion.workspace_id, Conversion.type == "sale",
                   Conversion.customer_sharer_id == buyer_id, Conversion.occurred_at >= since))
    sales, gross, refunded = seller_totals or session.execute(
        sales_so_far(recent_sales(sharer.id, but=conversion.id))).one()
    inviter = session.get(Sharer, sharer.invited_by) if sharer.invited_by else None
    inviter_is_buyer = inviter is not None and (
        buyer_id == inviter.id
        or same_person(customer.get("email"), customer.get("phone"), inviter.email, inviter.phone)
        or (inviter.external_id is not None and inviter.external_id == customer.get("external_id")))
    return SaleFacts(customer_email=customer.get("email"), seconds_after_click=seconds,
                     visitor_orders=int(visitor_orders or 0), customer_sharers=int(customer_sharers or 1),
                     sharer_sales=int(sales), sharer_refunded_percent=(Decimal(int(refunded)) * 100 / int(gross)
                                                                        if gross else Decimal(0)),
                     inviter_is_buyer=inviter_is_buyer, ip_prefix_orders=ip_prefix_orders)


def count_from_network(session: Session, conversion: Conversion, minutes: int) -> int:
    """The workspace's sales from ``conversion``'s network (its IP prefix hash) that occurred in the
    ``minutes`` up to it, it included (flushed). A sale reported late counts those before it in its
    own window; the ones after it were judged without it."""
    since = conversion.occurred_at - timedelta(minutes=minutes)
    return int(session.scalar(
        select(func.count(Conversion.id))
        .where(Conversion.workspace_id == conversion.workspace_id, Conversion.type == "sale",
               Conversion.ip_prefix == conversion.ip_prefix, Conversion.occurred_at >= since,
               Conversion.occurred_at <= conversion.occurred_at)) or 0)


def hold_if_flagged(session: Session, conversion: Conversion, sharer: Sharer, customer: dict,
                    buyer_id: int | None, now: datetime, settings: RiskSettings | None = None,
                    new_buyer: bool = False, seller_totals: tuple[int, int, int] | None = None) -> RiskReview | None:
    """Check the sale against the workspace's rules; if any trips, hold its commissions for review.
    ``settings``: the workspace's, when the caller has them (:func:`settings_for`)."""
    settings = settings or settings_for(session, conversion.workspace_id)
    rules = merged(settings.rules or {})
    found = flags(sale_facts(session, conversion, sharer, customer, buyer_id, rules, new_buyer, seller_totals), rules)
    if not found:
        return None
    for c in session.scalars(select(Commission).where(Commission.conversion_id == conversion.id,
                                                      Commission.status == "pending")):
        c.status = "held"
    review = RiskReview(workspace_id=conversion.workspace_id, conversion_id=conversion.id, sharer_id=sharer.id,
                        flags=found, status="open", expires_at=now + timedelta(days=settings.hold_days), created_at=now)
    session.add(review)
    session.flush()
    return review


def get_review(session: Session, workspace_id: int, review_id: int) -> RiskReview:
    """:raise ApiError 404: no such review in this workspace."""
    review = session.scalar(select(RiskReview).where(RiskReview.id == review_id, RiskReview.workspace_id == workspace_id)
                            .with_for_update())
    if review is None:
        raise ApiError(404, "not_found", "No such review.")
    return review


def _held(session: Session, review: RiskReview) -> list[Commission]:
    """The sale's held commissions, locked in id order: the first lock of a decision, as in a refund
    (see ``ledger.lock_awards``), so the two wait for each other instead of deadlocking, and a
    rejection reads what a refund committed meanwhile."""
    return list(session.scalars(select(Commission).where(Commission.conversion_id == review.conversion_id,
                                                         Commission.status == "held")
                                .order_by(Commission.id).with_for_update()))


def release(session: Session, workspace_id: int, review_id: int, by: str, now: datetime) -> RiskReview:
    """The held commissions go back to pending, except those an off-price line still holds
    (they wait for POST /commissions/release). :raise ApiError 404/409: unknown, or decided already."""
    review = _open(session, workspace_id, review_id)
    for c in _held(session, review):
        if not c.price_held:
            c.status = "pending"
    review.status, review.decided_at, review.decided_by = "released", now, by
    return review


def reject(session: Session, workspace_id: int, review_id: int, reason: str, by: str, now: datetime) -> RiskReview:
    """The held commissions are reversed, an off-price line's hold with them (a rejected sale
    pays nothing), and so are the pending awards it counted towards (a contest prize share, a
    target bonus); ``reason`` is what the sharer reads. The buyer's purchase summaries and the sharer's first
    sale are rebuilt without it, and it leaves the customer binding it counted towards (a rejected sale
    counts nowhere, see :func:`binding.rejected`). :raise ApiError 404/409: unknown, or
    decided already."""
    review = _open(session, workspace_id, review_id)
    # The sale first, as a refund locks it: a refund at the same moment either came before (its
    # refunds are read here) or waits until this rejection has taken the sale off its binding.
    sale = session.get(Conversion, review.conversion_id, with_for_update=True)
    sale.rejected = True
    for c in _held(session, review):
        ledger.reject(session, c, memo=reason)
        c.price_held = False
    review.status, review.reason, review.decided_at, review.decided_by = "rejected", reason, now, by
    binding.rejected(session, sale, now)  # after the commissions, before the awards: a refund's order
    ledger.lock_awards(session, workspace_id)  # as a refund does (see ledger.lock_awards)
    prizes.reverse_for_rejection(session, sale)
    bonuses.reverse_for_refund(session, sale, sale.id, memo=f"order {sale.order_id} rejected in review: below the target")
    # Then the customer's and the first sale's locks, in the order a refund takes them.
    if sale.customer_sharer_id is not None:
        customer_rollup.refresh_customer(session, workspace_id, sale.customer_sharer_id)
    customer_rollup.refresh_first_sale(session, sale)
    return review


def _open(session: Session, workspace_id: int, review_id: int) -> RiskReview:
    review = get_review(session, workspace_id, review_id)
    if review.status != "open":
        raise ApiError(409, "decided", f"This review was {review.status} already.")
    return review


def expired(session: Session, now: datetime) -> list[int]:
    """The ids of the open reviews past their expiry, oldest first (for :func:`expire`)."""
    return list(session.scalars(select(RiskReview.id).where(RiskReview.status == "open", RiskReview.expires_at <= now)
                                .order_by(RiskReview.id)))


def expire(session: Session, review_id: int, now: datetime) -> bool:
    """Decide one review past its expiry as its workspace says; False when it is decided already or not
    expired. One per transaction: a rejection ends holding the workspace's awards lock, which must not
    be held while the next one locks commissions (a refund takes them in the other order)."""
    review = session.scalar(select(RiskReview).where(RiskReview.id == review_id, RiskReview.status == "open",
                                                     RiskReview.expires_at <= now).with_for_update())
    if review is None:
        return False
    settings = settings_for(session, review.workspace_id)
    if settings.expiry_decision == "reject":
        reject(session, review.workspace_id, review.id, f"not reviewed within {settings.hold_days} days",
               "expiry", now)
    else:
        release(session, review.workspace_id, review.id, "expiry", now)
    return True


def review_json(review: RiskReview, order_id: str | None = None) -> dict:
    return {"id": review.id, "conversion_id": review.conversion_id, "order_id": order_id,
            "sharer_id": review.sharer_id, "flags": review.flags, "status": review.status, "reason": review.reason,
            "expires_at": review.expires_at, "decided_at": review.decided_at, "created_at": review.created_at}


def list_reviews(session: Session, workspace_id: int, *, status: str | None = None, sharer_id: int | None = None,
                 cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> dict:
    """Reviews, newest first. :raise ApiError 422: a bad cursor."""
    query = select(RiskReview).where(RiskReview.workspace_id == workspace_id)
    if status is not None:
        query = query.where(RiskReview.status == status)
    if sharer_id is not None:
        query = query.where(RiskReview.sharer_id == sharer_id)
    page, next_cursor = newest_first(session, query, RiskReview.created_at, RiskReview.id, cursor, limit)
    orders = dict(session.execute(select(Conversion.id, Conversion.order_id)
                                  .where(Conversion.id.in_([r.conversion_id for r in page]))).all())
    return {"items": [review_json(r, orders.get(r.conversion_id)) for r in page], "next_cursor": next_cursor}
