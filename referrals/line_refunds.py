"""Refunds that name lines: each line gives back by its own rule, never beyond what it paid.

A refund may carry ``items`` naming lines of its sale (a product by id or SKU), each with a
quantity (0: money back without goods returned) and an amount; the rest of the refund's
amount (shipping, a goodwill credit) refunds the order as a whole, as a refund without items
always has.

What a commission keeps is computed from totals, so any sequence of refunds nets exactly:
each line keeps its own share of the commission in proportion to what is left of the line
(``kept_after_refunds`` per line, by the amounts the line's named refunds took), and what the
lines keep together is then scaled by what is left of the order outside the named refunds.
Without a named refund this is exactly the order-wide proportion of a refund without items.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import Product
from plumbing.errors import ApiError
from plumbing.money import format_amount, largest_remainder, round_minor
from referrals.commission import kept_after_refunds
from referrals.lines import item_amount
from referrals.models import Commission, ConversionItem, RefundItem


@dataclass(frozen=True)
class Named:
    """One line a refund names."""

    index: int
    product_id: int | None
    sku: str | None
    quantity: int
    amount_minor: int


def parse_items(session: Session, workspace_id: int, items: list[dict], currency: str,
                refund_minor: int) -> list[Named]:
    """The refund's named lines, checked on their own (not yet against the sale).

    :raise ApiError 422: a line naming both or neither of product_id and sku, an unknown
        product_id, a bad or zero amount, or lines adding up to more than the refund.
    """
    named: list[Named] = []
    errors: dict[str, str] = {}
    for i, item in enumerate(items):
        where = f"items.{i}"
        amount = item_amount(item, where, currency, errors)
        if amount is None:
            continue
        if amount <= 0:
            errors[f"{where}.amount"] = "must be above 0"
            continue
        if item.get("product_id") is not None and session.scalar(select(Product.id).where(
                Product.workspace_id == workspace_id, Product.id == item["product_id"])) is None:
            errors[f"{where}.product_id"] = "no such product"
            continue
        sku = item["sku"].strip() if item.get("sku") is not None else None
        named.append(Named(i, item.get("product_id"), sku, item["quantity"], amount))
    if not errors and sum(n.amount_minor for n in named) > refund_minor:
        errors["items"] = f"the lines add up to more than the refund ({format_amount(refund_minor, currency)})"
    if errors:
        raise ApiError(422, "validation_error", "The refund's items are invalid.", errors)
    return named


def stored(session: Session, refund_id: int) -> list[Named]:
    """The lines a recorded refund named, in their order."""
    return [Named(i, row.product_id, row.sku, row.quantity, row.amount_minor) for i, row in enumerate(
        session.scalars(select(RefundItem).where(RefundItem.conversion_id == refund_id).order_by(RefundItem.id)))]


def store(session: Session, refund_id: int, named: list[Named], currency: str) -> list[dict]:
    """Keep the refund's named lines; answers them as the API shows them."""
    session.add_all(RefundItem(conversion_id=refund_id, product_id=n.product_id, sku=n.sku, quantity=n.quantity,
                               amount_minor=n.amount_minor) for n in named)
    return [{"product_id": n.product_id, "sku": n.sku, "quantity": n.quantity,
             "amount": format_amount(n.amount_minor, currency)} for n in named]


def sale_lines(session: Session, sale_id: int) -> list[ConversionItem]:
    return list(session.scalars(select(ConversionItem).where(ConversionItem.conversion_id == sale_id)
                                .order_by(ConversionItem.id)))


def _names(line: ConversionItem, named: Named) -> bool:
    return line.product_id == named.product_id if named.product_id is not None else line.sku == named.sku


Allocation = list[tuple[ConversionItem, int, int, int]]  # (the sale's line, amount, quantity, named line's index)


def allocate(lines: list[ConversionItem], named: list[Named], room: int, currency: str, *,
             strict: bool) -> Allocation:
    """Which of the sale's lines each named line refunds, and how much of each.

    A product sold on several lines is refunded from them in order. ``strict`` (a refund
    whose sale is here): a line that is not on the sale, or more than is left of it, is
    refused. Otherwise (a refund that came before its sale) each is cut to what is left,
    and a line not on the sale refunds the order as a whole. Never more than ``room``
    (what the refund may still take from the order) in all.

    :raise ApiError 422: strict, and a named line is not on the sale (validation_error) or has
        less left than named (refund_exceeds_line).
    """
    left = {line.id: [line.amount_minor - line.refunded_minor, line.quantity - line.refunded_quantity]
            for line in lines}
    plan: Allocation = []
    errors: dict[str, str] = {}
    for n in named:
        where = f"items.{n.index}"
        matches = [line for line in lines if _names(line, n)]
        amount_left = sum(left[line.id][0] for line in matches)
        quantity_left = sum(left[line.id][1] for line in matches)
        if strict and not matches:
            errors[f"{where}.{'product_id' if n.product_id is not None else 'sku'}"] = "not a line of this sale"
            continue
        if strict and n.amount_minor > amount_left:
            errors[f"{where}.amount"] = f"at most {format_amount(amount_left, currency)} is left of this line"
        if strict and n.quantity > quantity_left:
            errors[f"{where}.quantity"] = f"at most {quantity_left} left of this line"
        if errors:
            continue
        amount, quantity = min(n.amount_minor, amount_left, room), min(n.quantity, quantity_left)
        room -= amount
        for line in matches:
            take_amount, take_quantity = min(amount, left[line.id][0]), min(quantity, left[line.id][1])
            if take_amount or take_quantity:
                plan.append((line, take_amount, take_quantity, n.index))
                left[line.id][0] -= take_amount
                left[line.id][1] -= take_quantity
                amount, quantity = amount - take_amount, quantity - take_quantity
    if any(message == "not a line of this sale" for message in errors.values()):
        raise ApiError(422, "validation_error", "The refund names a line its sale does not have.", errors)
    if errors:
        raise ApiError(422, "refund_exceeds_line", "The refund names more than is left of a line of the sale.",
                       errors)
    return plan


def apply(plan: Allocation) -> int:
    """Take the planned amounts and quantities off the sale's lines; returns the amount named."""
    for line, amount, quantity, _index in plan:
        line.refunded_minor += amount
        line.refunded_quantity += quantity
    return sum(entry[1] for entry in plan)


def kept(c: Commission, lines: list[ConversionItem], sale_minor: int, refunded_minor: int) -> int:
    """What ``c`` is worth once ``refunded_minor`` of its sale is refunded, the lines' refunds
    (``ConversionItem.refunded_minor``, already applied) each taken by the line's own share."""
    named = sum(line.refunded_minor for line in lines)
    given_back = 0
    for line in lines:
        paid = line.commission_minor if c.level == 1 else line.invite_minor
        given_back += paid - kept_after_refunds(paid, line.amount_minor, line.refunded_minor)
    return kept_after_refunds(max(0, c.amount_minor - given_back), sale_minor - named, refunded_minor - named)


LEVELS = {1: "commission", 2: "invite_bonus"}


def itemise(plan: Allocation, before: dict[int, int], sale_minor: int, refunded_before: int,
            given: dict[int, int]) -> tuple[dict[int, dict[int, int]], dict[int, int]]:
    """What a refund gave back, line by line: ({named line's index: {level: minor units}}, {level: the rest}).

    ``plan`` is the refund's allocation, ``before`` each of the sale's lines' ``refunded_minor`` before
    it, ``refunded_before`` the sale's, ``given`` what each level's commission actually gave back.
    By :func:`kept`, a commission is worth (what its lines keep) x (the order-wide proportion); a
    refund lowers both. A named line gives back the fall of its own kept share at the proportion
    in force before the refund; the rest (the proportion falling: the part of the refund that names
    no line) is the order's. The lines never take more than was given back (cut down exactly, by
    largest remainder), so lines and rest add up to ``given`` to the minor unit.
    """
    outside = sale_minor - sum(before.values())
    scale = Decimal(max(0, sale_minor - refunded_before)) / Decimal(outside) if outside > 0 else Decimal(0)
    running = dict(before)
    raw: dict[int, dict[int, int]] = {}
    for line, amount, _quantity, index in plan:
        was, now = running[line.id], running[line.id] + amount
        running[line.id] = now
        parts = raw.setdefault(index, dict.fromkeys(LEVELS, 0))
        for level in LEVELS:
            paid = line.commission_minor if level == 1 else line.invite_minor
            fall = kept_after_refunds(paid, line.amount_minor, was) - kept_after_refunds(paid, line.amount_minor, now)
            parts[level] += round_minor(fall * scale)
    rest: dict[int, int] = {}
    for level in LEVELS:
        total = given.get(level, 0)
        taken = sum(parts[level] for parts in raw.values())
        if taken > total:  # rounding or a floor took less off the commission than the lines' shares
            cut = largest_remainder(total, {i: parts[level] for i, parts in raw.items()}) if total else \
                dict.fromkeys(raw, 0)
            for i, parts in raw.items():
                parts[level] = cut[i]
            taken = total
        rest[level] = total - taken
    return raw, rest


def itemised_json(items: list[dict], named: list[Named], per_line: dict[int, dict[int, int]], rest: dict[int, int],
                  currency: str) -> dict:
    """The refund answer's ``items`` (each with what it gave back) and ``order_reversed`` (the rest)."""
    for item, n in zip(items, named):
        parts = per_line.get(n.index, {})
        for level, name in LEVELS.items():
            item[f"{name}_reversed"] = format_amount(parts.get(level, 0), currency)
    return {name: format_amount(rest.get(level, 0), currency) for level, name in LEVELS.items()}
