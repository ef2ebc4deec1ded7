"""A brand's commission rule (a percentage or a fixed amount) and what it pays on an amount.

Pure functions over integer minor units, rounded by money.ROUNDING (half up).
Campaigns, products and grades carry rules; how a sale is shared between the
seller and their inviter (at most two levels) is ``referrals.commission``.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from plumbing.money import exponent, parse_amount, round_minor

MAX_PERCENT = Decimal(100)


@dataclass(frozen=True)
class Rule:
    type: str  # "percent" | "fixed"
    value: str  # exact decimal string: a percentage, or an amount in major units

    def to_json(self) -> dict:
        return {"type": self.type, "value": self.value}


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
