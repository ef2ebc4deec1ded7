"""Lasting customer relationships (客户关系 / 锁客): a buyer stays with the sharer who brought them.

The workspace chooses the binding (``none``, ``days`` for N days, or
``permanent``) and whether a newer sharer's link takes a bound customer over
(``takeover``). While a binding holds, a sale of that customer with no click
or code is the bound sharer's (``attributed_by: "binding"``), and without
takeover a sale through another sharer's link is still the bound sharer's
(the protection period). Each sale under a binding extends it by N days.
Still at most two paid levels: a binding only chooses who is level 1.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from catalog.rules import Rule
from plumbing import database
from referrals.attribution import Evidence
from referrals.identity import normalize_email, normalize_phone
from referrals.models import Conversion, CustomerBinding
from workspaces.models import Workspace

MODES = ("none", "days", "permanent")


def bound_evidence(evidence: Evidence, bound_sharer_id: int | None, bound_campaign_id: int | None,
                   takeover: bool) -> tuple[Evidence, bool]:
    """The evidence a sale is attributed on, given the customer's binding (pure).

    :return: the evidence to use, and whether the binding overruled another sharer's evidence.
    """
    if bound_sharer_id is None:
        return evidence, False
    if evidence.sharer_id is None:
        # No usable click, code or sharer: the repeat purchase is the bound sharer's.
        return Evidence("binding", bound_sharer_id, evidence.campaign_id or bound_campaign_id), False
    if evidence.sharer_id != bound_sharer_id and not takeover:
        return replace(evidence, method="binding", sharer_id=bound_sharer_id, link_id=None, channel=None,
                       click_id=None, clicked_at=None, bot=False), True
    return evidence, False


def repeat_terms(workspace: Workspace, binding: CustomerBinding, at: datetime) -> tuple[bool, Rule | None]:
    """Whether a repeat purchase through ``binding`` at ``at`` still pays, and the repeat rule, if any."""
    if workspace.repeat_months and at >= binding.bound_at + relativedelta(months=workspace.repeat_months):
        return False, None
    return True, Rule(workspace.repeat_type, workspace.repeat_value) if workspace.repeat_type else None


def _keys(customer: dict) -> tuple[str | None, str | None, str | None]:
    return (customer.get("external_id") or None, normalize_email(customer.get("email")),
            normalize_phone(customer.get("phone")))


def find_binding(session: Session, workspace_id: int, customer: dict, at: datetime) -> CustomerBinding | None:
    """The customer's binding in force at ``at``, matched by customer id, email or phone.

    Holds the customer's lock until the transaction ends, so two orders of one
    buyer cannot both make a binding, and the binding's row (a refund or a rejection
    changing its figures meanwhile waits, or is read; one that ended it leaves it out).
    """
    external_id, email, phone = _keys(customer)
    database.lock(session, f"customer:{workspace_id}:{external_id}")
    matches = [column == value for column, value in ((CustomerBinding.external_id, external_id),
                                                     (CustomerBinding.email, email),
                                                     (CustomerBinding.phone, phone)) if value]
    if not matches:
        return None
    return session.scalars(select(CustomerBinding).where(
        CustomerBinding.workspace_id == workspace_id, or_(*matches), CustomerBinding.ended_at.is_(None),
        or_(CustomerBinding.expires_at.is_(None), CustomerBinding.expires_at > at))
        .order_by(CustomerBinding.bound_at.desc(), CustomerBinding.id.desc()).with_for_update()).first()


def _expiry(workspace: Workspace, at: datetime) -> datetime | None:
    return None if workspace.binding_mode == "permanent" else at + timedelta(days=workspace.binding_days)


def bind(session: Session, workspace: Workspace, customer: dict, current: CustomerBinding | None,
         conversion: Conversion) -> CustomerBinding | None:
    """Count an attributed sale towards the customer's binding to its sharer; make or hand over the binding.

    None when the workspace binds nobody.
    """
    if workspace.binding_mode == "none":
        return None
    at = conversion.occurred_at
    taken_over = None
    if current is not None and current.sharer_id != conversion.sharer_id:
        current.ended_at = at  # taken over (the workspace allows it)
        taken_over, current = current.id, None
    if current is None:
        external_id, email, phone = _keys(customer)
        current = CustomerBinding(
            workspace_id=workspace.id, sharer_id=conversion.sharer_id, campaign_id=conversion.campaign_id,
            external_id=external_id, email=email, phone=phone, currency=conversion.currency, bound_at=at,
            first_order_at=at, last_order_at=at, orders=0, net_sales_minor=0, took_over_id=taken_over)
        session.add(current)
    current.expires_at = _expiry(workspace, at)
    current.campaign_id = conversion.campaign_id
    current.last_order_at = max(current.last_order_at, at)
    current.orders += 1
    if conversion.currency == current.currency:
        current.net_sales_minor += conversion.amount_minor
    session.flush()
    conversion.binding_id = current.id
    return current


def refunded(session: Session, sale: Conversion, amount_minor: int) -> None:
    """Take a refund off the net sales of the binding its sale counted towards (none once the sale
    was rejected in review: :func:`rejected` took all of it off then)."""
    if sale.binding_id is None or amount_minor <= 0:
        return
    session.execute(update(CustomerBinding).where(CustomerBinding.id == sale.binding_id,
                                                  CustomerBinding.currency == sale.currency)
                    .values(net_sales_minor=CustomerBinding.net_sales_minor - amount_minor))


def rejected(session: Session, sale: Conversion, now: datetime) -> None:
    """Take a sale rejected in risk review out of the binding it counted towards: one order fewer,
    and what its refunds left of it off the net sales; if it was the latest order, the days it added
    to the binding go too (see :func:`_back_to_last_order`). A binding that no other order holds ends
    (``ended_at``): a fraud order binds nobody to its sharer; and if it had taken the customer over,
    the binding it ended is in force again. Call once, when the review is rejected (its sale locked)."""
    if sale.binding_id is None:
        return
    # Locked: a sale of this customer (find_binding) waits, or has counted already.
    binding = session.get(CustomerBinding, sale.binding_id, with_for_update=True, populate_existing=True)
    sale.binding_id = None  # it counts towards no binding now: a later refund takes nothing off
    if binding is None:
        return
    binding.orders -= 1
    if binding.currency == sale.currency:
        binding.net_sales_minor -= sale.amount_minor - sale.refunded_minor
    if binding.orders > 0:
        if sale.occurred_at >= binding.last_order_at:
            _back_to_last_order(session, binding)
        return
    if binding.ended_at is not None:
        return
    binding.ended_at = now
    if binding.took_over_id is not None:
        # Only if that binding ended by this takeover (and nothing ended it since).
        session.execute(update(CustomerBinding).where(CustomerBinding.id == binding.took_over_id,
                                                      CustomerBinding.ended_at == binding.bound_at)
                        .values(ended_at=None))


def _back_to_last_order(session: Session, binding: CustomerBinding) -> None:
    """The binding as its latest order left standing made it, when the order taken out was the latest:
    its last order and campaign, and its expiry as many days after that order as it ran after the
    one taken out (the days in force then, whatever the workspace says now)."""
    latest = session.execute(
        select(Conversion.occurred_at, Conversion.campaign_id)
        .where(Conversion.sharer_id == binding.sharer_id, Conversion.type == "sale",
               Conversion.binding_id == binding.id)
        .order_by(Conversion.occurred_at.desc(), Conversion.id.desc()).limit(1)).first()
    if latest is None or latest.occurred_at >= binding.last_order_at:
        return
    if binding.expires_at is not None:
        binding.expires_at -= binding.last_order_at - latest.occurred_at
    binding.last_order_at, binding.campaign_id = latest.occurred_at, latest.campaign_id


def binding_json(binding: CustomerBinding, protected: bool) -> dict:
    return {"id": binding.id, "sharer_id": binding.sharer_id,
            "expires_at": binding.expires_at.isoformat() if binding.expires_at else None,
            "protected": protected}
