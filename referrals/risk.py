"""Risk rules for a sale: pure, over facts the caller gathered. Each rule is on by default with a
threshold the brand may change (``RiskSettings.rules``; null turns one off).

A flagged sale's commissions are held for a person to review (see reviews.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from disposable_email_domains import blocklist

DEFAULTS: dict[str, dict | None] = {
    # the buyer's email is at a throwaway-mail domain (the disposable-email-domains list)
    "disposable_email": {},
    # the order came this few seconds after the click: faster than a person buys
    "fast_order": {"seconds": 3},
    # more than this many orders through one visitor (hashed IP and browser) within the window
    "visitor_orders": {"max": 3, "minutes": 60},
    # more than this many orders from one network (the buyer's IP's /24 or /48, hashed) within the window:
    # a /24 is shared more widely than one visitor (an office, a mobile carrier's gateway), so it allows more
    "ip_prefix_orders": {"max": 5, "minutes": 60},
    # one customer bought through more than this many different sharers within the window
    "customer_sharers": {"max": 2, "days": 30},
    # the sharer's refunds exceed this share of their sales (after at least min_sales sales)
    "refund_share": {"percent": 50, "min_sales": 5},
    # the sharer's inviter bought through the sharer's link (the inviter would earn on their own purchase)
    "inviter_purchase": {},
}
RULES = tuple(DEFAULTS)
# refund_share weighs the seller's latest sales, not all of them: a burst of refunds shows in a seller
# with years of good sales, and a sale reads at most this many rows however big its seller is.
RECENT_SALES = 1000


@dataclass(frozen=True)
class SaleFacts:
    customer_email: str | None
    seconds_after_click: float | None
    visitor_orders: int  # in the rule's window, this one included
    customer_sharers: int  # distinct sharers in the rule's window, this one included
    sharer_sales: int  # before this one
    sharer_refunded_percent: Decimal
    inviter_is_buyer: bool
    ip_prefix_orders: int = 0  # from the buyer's network in the rule's window up to this one, this one included


def merged(overrides: dict) -> dict[str, dict | None]:
    """The rules in force: the defaults, with the brand's changes (a rule null is off)."""
    rules = {}
    for name, default in DEFAULTS.items():
        if name in overrides and overrides[name] is None:
            rules[name] = None
        else:
            rules[name] = {**default, **(overrides.get(name) or {})}
    return rules


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower().rstrip(".")


def flags(facts: SaleFacts, rules: dict[str, dict | None]) -> list[dict]:
    """The rules this sale trips, each ``{"rule", "detail"}`` (detail in plain words)."""
    found = []

    def on(name):
        return rules.get(name)

    domain = email_domain(facts.customer_email)
    if on("disposable_email") is not None and domain and domain in blocklist:
        found.append({"rule": "disposable_email", "detail": f"the buyer's email is at {domain}, a throwaway-mail domain"})
    rule = on("fast_order")
    if rule is not None and facts.seconds_after_click is not None and 0 <= facts.seconds_after_click < rule["seconds"]:
        found.append({"rule": "fast_order", "detail": f"ordered {facts.seconds_after_click:.1f} s after the click"})
    rule = on("visitor_orders")
    if rule is not None and facts.visitor_orders > rule["max"]:
        found.append({"rule": "visitor_orders",
                      "detail": f"{facts.visitor_orders} orders from one visitor within {rule['minutes']} minutes"})
    rule = on("ip_prefix_orders")
    if rule is not None and facts.ip_prefix_orders > rule["max"]:
        found.append({"rule": "ip_prefix_orders",
                      "detail": f"{facts.ip_prefix_orders} orders from one network (IP prefix) "
                                f"within {rule['minutes']} minutes"})
    rule = on("customer_sharers")
    if rule is not None and facts.customer_sharers > rule["max"]:
        found.append({"rule": "customer_sharers",
                      "detail": f"the buyer bought through {facts.customer_sharers} sharers within {rule['days']} days"})
    rule = on("refund_share")
    if rule is not None and facts.sharer_sales >= rule["min_sales"] and facts.sharer_refunded_percent > rule["percent"]:
        found.append({"rule": "refund_share",
                      "detail": f"{facts.sharer_refunded_percent:.0f}% of the sharer's sales were refunded"})
    if on("inviter_purchase") is not None and facts.inviter_is_buyer:
        found.append({"rule": "inviter_purchase", "detail": "the sharer's inviter bought through the sharer's link"})
    return found
