"""A sale's line items: resolved against the catalogue, checked against the brand's price, paid per line.

Shop integrations pass an order's lines (``sku``, ``quantity``, ``amount``) to
``record_conversion``; each line is paid by its product's rule (the campaign's
when the product has none, or for a SKU not in the catalogue), capped at the
product's margin ceiling. A line sold above or below the brand's price is
flagged, and the sale's commissions are held for a marketer to look at rather
than paid silently.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Campaign, Product
from catalog.rules import Rule, margin_ceiling
from plumbing.database import utcnow
from plumbing.errors import ApiError
from plumbing.money import format_amount, parse_amount
from referrals.commission import Line, shares_for_lines
from referrals.models import ConversionItem

PRICE_FLAGS = ("above_brand_price", "below_brand_price")


@dataclass
class SaleLine:
    product: Product | None
    sku: str | None
    quantity: int
    amount_minor: int
    flag: str = ""
    first_minor: int = 0
    second_minor: int = 0
    rule: Rule | None = None


def item_amount(item: dict, where: str, currency: str, errors: dict[str, str]) -> int | None:
    """An order line's amount in minor units, or None with the reason in ``errors``: a line
    names one of product_id and sku, and an amount exact in ``currency``."""
    if (item.get("product_id") is None) == (item.get("sku") is None):
        errors[where] = "give one of product_id or sku"
        return None
    try:
        return parse_amount(item["amount"], currency)
    except ValueError as exc:
        errors[f"{where}.amount"] = str(exc)
        return None


def resolve_lines(session: Session, workspace_id: int, items: list[dict] | None, currency: str,
                  sale_minor: int) -> list[SaleLine]:
    """The sale's lines, each matched to its product by id or SKU.

    :raise ApiError 422: a line naming both or neither of product_id and sku, an
        unknown product_id, a product sold in another currency, a bad amount, or
        lines adding up to more than the sale.
    """
    lines: list[SaleLine] = []
    errors: dict[str, str] = {}
    for i, item in enumerate(items or []):
        where = f"items.{i}"
        if item["quantity"] < 1:
            errors[f"{where}.quantity"] = "a sale's line sells at least 1"
            continue
        amount = item_amount(item, where, currency, errors)
        if amount is None:
            continue
        if item.get("product_id") is not None:
            product = session.scalar(select(Product).where(Product.workspace_id == workspace_id,
                                                           Product.id == item["product_id"]))
            if product is None:
                errors[f"{where}.product_id"] = "no such product"
                continue
        else:
            product = session.scalar(select(Product).where(Product.workspace_id == workspace_id,
                                                           Product.sku == item["sku"].strip()))
        if product is not None and product.currency != currency:
            errors[f"{where}.product_id"] = f"the product sells in {product.currency}, the sale is in {currency}"
            continue
        line = SaleLine(product, product.sku if product else item["sku"].strip(), item["quantity"], amount)
        if product is None:
            line.flag = "unknown_sku"
        elif amount > product.price_minor * line.quantity:
            line.flag = "above_brand_price"
        elif amount < product.price_minor * line.quantity:
            line.flag = "below_brand_price"
        lines.append(line)
    if not errors and sum(line.amount_minor for line in lines) > sale_minor:
        errors["items"] = f"the lines add up to more than the sale ({format_amount(sale_minor, currency)})"
    if errors:
        raise ApiError(422, "validation_error", "The sale's items are invalid.", errors)
    return lines


def pay_lines(lines: list[SaleLine], campaign: Campaign, ceiling_percent: str, currency: str,
              seller_id: int, inviter_id: int | None, self_referral: bool,
              grade_rule: Rule | None = None, grade_bonus: Rule | None = None):
    """The sale's shares (one per level) from its lines; records each line's rule and pay on it.

    A line's level-1 rule: the seller's grade, else its product's, else the
    campaign's; level 2: the inviter's grade bonus, else the campaign's.
    """
    campaign_rule = Rule(campaign.commission_type, campaign.commission_value)
    bonus = grade_bonus or (Rule(campaign.invite_type, campaign.invite_value) if campaign.invite_type else None)
    math_lines = []
    for line in lines:
        product = line.product
        line.rule = grade_rule or (Rule(product.commission_type, product.commission_value)
                                   if product is not None and product.commission_type else campaign_rule)
        ceiling = (margin_ceiling(line.amount_minor, product.cost_minor, line.quantity, ceiling_percent)
                   if product is not None else None)
        math_lines.append(Line(line.amount_minor, line.rule, ceiling))
    shares, per_line = shares_for_lines(math_lines, currency, bonus, seller_id, inviter_id, self_referral)
    for line, (first, second) in zip(lines, per_line):
        line.first_minor, line.second_minor = first, second
    return shares


def held(lines: list[SaleLine]) -> bool:
    """Whether a line was sold off the brand's price: its sale's commissions wait for review."""
    return any(line.flag in PRICE_FLAGS for line in lines)


def store_lines(session: Session, conversion_id: int, lines: list[SaleLine], currency: str) -> list[dict]:
    """Write the lines of a recorded sale; answers them as the API shows them."""
    shown = []
    for line in lines:
        if line.product is not None and line.product.sold_at is None:
            line.product.sold_at = utcnow()
        session.add(ConversionItem(
            conversion_id=conversion_id, product_id=line.product.id if line.product else None, sku=line.sku,
            quantity=line.quantity, amount_minor=line.amount_minor,
            rule_type=line.rule.type if line.rule else "", rule_value=line.rule.value if line.rule else "",
            commission_minor=line.first_minor, invite_minor=line.second_minor, flag=line.flag))
        shown.append({"product_id": line.product.id if line.product else None, "sku": line.sku,
                      "quantity": line.quantity, "amount": format_amount(line.amount_minor, currency),
                      "commission": format_amount(line.first_minor, currency),
                      "invite_bonus": format_amount(line.second_minor, currency), "flag": line.flag or None})
    return shown
