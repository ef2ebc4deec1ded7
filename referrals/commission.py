"""Commission math: pure functions over integer minor units.

Compliance holds by construction here: shares come only from a sale's amount,
there are at most two levels (the seller, and optionally whoever invited
them), a self-referral earns nothing, and nothing is ever computed for
recruiting alone. Rounding is money.ROUNDING (half up) to the minor unit. The
rules themselves (and what one pays on an amount) are ``catalog.rules``.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from catalog.rules import Rule, amount_for
from plumbing.money import round_minor

MAX_LEVELS = 2


@dataclass(frozen=True)
class Share:
    sharer_id: int
    level: int
    amount_minor: int


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
