"""Commission math: pure functions over integer minor units.

Compliance holds by construction here: shares come only from a sale's amount,
there are at most two levels (the seller, and optionally whoever invited
them), a self-referral earns nothing, and nothing is ever computed for
recruiting alone. Rounding is money.ROUNDING (half up) to the minor unit.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from plumbing.money import exponent, parse_amount, round_minor

MAX_LEVELS = 2
MAX_PERCENT = Decimal(100)


@dataclass(frozen=True)
class Rule:
    type: str  # "percent" | "fixed"
    value: str  # exact decimal string: a percentage, or an amount in major units

    def to_json(self) -> dict:
        return {"type": self.type, "value": self.value}


@dataclass(frozen=True)
class Share:
    sharer_id: int
    level: int
    amount_minor: int


def parse_rule(data: dict, currency: str) -> Rule:
    """A validated rule from ``{"type", "value"}``.

    :raise ValueError: unknown type, a percentage outside (0, 100] or with more
        than 4 decimals, or a fixed amount that is zero or not exact in ``currency``.
    """
    kind, value = data.get("type"), data.get("value")
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError("value must be a decimal string") from exc
    if kind == "percent":
        if not Decimal(0) < number <= MAX_PERCENT:
            raise ValueError("a percentage must be above 0 and at most 100")
        if -number.as_tuple().exponent > 4:
            raise ValueError("a percentage may have at most 4 decimal places")
        return Rule("percent", value)
    if kind == "fixed":
        if parse_amount(value, currency) <= 0:
            raise ValueError("a fixed commission must be above 0")
        return Rule("fixed", value)
    raise ValueError("type must be 'percent' or 'fixed'")


def amount_for(rule: Rule, sale_minor: int, currency: str) -> int:
    """What ``rule`` pays on a sale of ``sale_minor``; never more than the sale."""
    if sale_minor <= 0:
        return 0
    if rule.type == "percent":
        return min(sale_minor, round_minor(Decimal(sale_minor) * Decimal(rule.value) / 100))
    return min(sale_minor, int(Decimal(rule.value).scaleb(exponent(currency))))


def shares_for_sale(
    sale_minor: int,
    currency: str,
    rule: Rule,
    invite_bonus: Rule | None,
    seller_id: int,
    inviter_id: int | None,
    self_referral: bool,
) -> list[Share]:
    """The commissions a sale pays: level 1 to the seller, level 2 to their inviter.

    A self-referral pays nobody. The two levels together never exceed the sale.
    """
    if self_referral or sale_minor <= 0:
        return []
    first = amount_for(rule, sale_minor, currency)
    shares = [Share(seller_id, 1, first)] if first > 0 else []
    if invite_bonus is not None and inviter_id is not None and inviter_id != seller_id:
        second = min(amount_for(invite_bonus, sale_minor, currency), sale_minor - first)
        if second > 0:
            shares.append(Share(inviter_id, 2, second))
    assert len(shares) <= MAX_LEVELS
    return shares


def kept_after_refunds(amount_minor: int, sale_minor: int, refunded_minor: int) -> int:
    """What a commission is worth once ``refunded_minor`` of its sale is refunded.

    Proportional, rounded half up, and computed from the totals (not per
    refund) so any sequence of partial refunds nets exactly: a full refund
    leaves 0, no refund leaves the whole amount.
    """
    refunded_minor = max(0, min(refunded_minor, sale_minor))
    if sale_minor <= 0:
        return 0
    return round_minor(Decimal(amount_minor) * Decimal(sale_minor - refunded_minor) / Decimal(sale_minor))


@dataclass(frozen=True)
class Line:
    """One line of a sale as the commission math sees it.

    ``ceiling_minor`` is what both paid levels together may take from this line
    (the margin guard), or None when the product's cost is unknown.
    """

    amount_minor: int
    rule: Rule
    ceiling_minor: int | None = None


def margin_ceiling(amount_minor: int, cost_minor: int | None, quantity: int, ceiling_percent: str) -> int | None:
    """What the two paid levels may take from a line: (amount − cost × quantity) × ceiling %.

    None when the cost is unknown; never below 0. Rounded down, so the ceiling is never exceeded.
    """
    if cost_minor is None:
        return None
    margin = max(0, amount_minor - cost_minor * quantity)
    return int(Decimal(margin) * Decimal(ceiling_percent) / 100)


def paid_at_price(price_minor: int, currency: str, rule: Rule, invite_bonus: Rule | None) -> int:
    """What both levels would take on one sale at ``price_minor``: what the margin guard checks."""
    first = amount_for(rule, price_minor, currency)
    second = min(amount_for(invite_bonus, price_minor, currency), price_minor - first) if invite_bonus else 0
    return first + second


def shares_for_lines(
    lines: list[Line],
    currency: str,
    invite_bonus: Rule | None,
    seller_id: int,
    inviter_id: int | None,
    self_referral: bool,
) -> tuple[list[Share], list[tuple[int, int]]]:
    """The commissions of a sale with line items: each line by its own rule, capped at its ceiling.

    Returns one Share per level (the lines' amounts summed: still at most two
    levels) and, per line, what it paid at level 1 and level 2.
    """
    per_line: list[tuple[int, int]] = []
    for line in lines:
        first = second = 0
        for share in shares_for_sale(line.amount_minor, currency, line.rule, invite_bonus,
                                     seller_id, inviter_id, self_referral):
            if share.level == 1:
                first = share.amount_minor
            else:
                second = share.amount_minor
        if line.ceiling_minor is not None:
            first = min(first, line.ceiling_minor)
            second = min(second, line.ceiling_minor - first)
        per_line.append((first, second))
    totals = {1: sum(f for f, _ in per_line), 2: sum(s for _, s in per_line)}
    shares = [Share(seller_id, 1, totals[1])] if totals[1] > 0 else []
    if totals[2] > 0 and inviter_id is not None:
        shares.append(Share(inviter_id, 2, totals[2]))
    assert len(shares) <= MAX_LEVELS
    return shares, per_line
