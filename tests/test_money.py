"""Money is exact: parsing, commission math, and refunds that always net out."""
from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.rules import Rule, amount_for, parse_rule
from plumbing.money import format_amount, parse_amount
from referrals.commission import kept_after_refunds, shares_for_sale


def test_amounts_parse_to_minor_units_per_currency():
    assert parse_amount("199.00", "CNY") == 19900 and parse_amount("0.5", "CNY") == 50
    assert parse_amount("1980", "JPY") == 1980 and parse_amount("1.234", "KWD") == 1234
    for bad in ["1.001", "-1", "1e3", " 1", "1,00", "", ".5", "5.", "NaN", "Infinity"]:
        with pytest.raises(ValueError):
            parse_amount(bad, "CNY")
    assert format_amount(19900, "CNY") == "199.00" and format_amount(5, "JPY") == "5"


def test_percent_commission_rounds_half_up_to_the_minor_unit():
    assert amount_for(Rule("percent", "10"), 1995, "CNY") == 200  # 199.5 -> 200
    assert amount_for(Rule("percent", "10"), 1994, "CNY") == 199  # 199.4 -> 199
    assert amount_for(Rule("percent", "33.3333"), 100, "CNY") == 33
    assert amount_for(Rule("fixed", "5.00"), 19900, "CNY") == 500
    assert amount_for(Rule("fixed", "5.00"), 300, "CNY") == 300  # never more than the sale


def test_rules_are_validated():
    for bad in [{"type": "percent", "value": "0"}, {"type": "percent", "value": "100.5"},
                {"type": "percent", "value": "1.23456"}, {"type": "fixed", "value": "0.001"},
                {"type": "fixed", "value": "0"}, {"type": "tip", "value": "1"}, {"type": "percent", "value": None}]:
        with pytest.raises(ValueError):
            parse_rule(bad, "CNY")


amounts = st.integers(min_value=1, max_value=10**10)
percents = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(100), places=4).map(lambda d: Rule("percent", str(d)))


@given(sale=amounts, rule=percents, bonus=st.none() | percents, cuts=st.lists(st.floats(0, 1), max_size=6))
def test_any_sequence_of_partial_refunds_reverses_exactly_what_was_paid(sale, rule, bonus, cuts):
    shares = shares_for_sale(sale, "CNY", rule, bonus, 1, 2, self_referral=False)
    assert len(shares) <= 2 and sum(s.amount_minor for s in shares) <= sale
    refunds, left = [], sale
    for cut in cuts:
        r = min(left, int(left * cut))
        refunds.append(r)
        left -= r
    refunds.append(left)  # the rest: a full refund in the end
    for share in shares:
        kept, refunded, reversed_total = share.amount_minor, 0, 0
        for r in refunds:
            refunded += r
            new_kept = kept_after_refunds(share.amount_minor, sale, refunded)
            assert 0 <= new_kept <= kept  # never negative, never growing
            reversed_total += kept - new_kept
            kept = new_kept
            assert kept + reversed_total == share.amount_minor  # nothing lost or made up
        assert kept == 0 and reversed_total == share.amount_minor


@given(sale=amounts, rule=percents)
def test_self_referral_and_recruiting_earn_nothing(sale, rule):
    assert shares_for_sale(sale, "CNY", rule, rule, 1, 2, self_referral=True) == []
    assert shares_for_sale(0, "CNY", rule, rule, 1, 2, self_referral=False) == []


_orders = itertools.count()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(["sale", "refund"]), st.integers(0, 2),
                                st.integers(min_value=1, max_value=50_000)), min_size=1, max_size=12))
def test_ledger_nets_exactly_over_any_sales_and_refunds_through_the_api(owner, campaign, make_sharer, make_link, steps):
    seller = make_sharer()
    link = make_link(campaign["id"], seller["id"])
    run = next(_orders)
    sold: dict[int, int] = {}
    refunded: dict[int, int] = {}
    for i, (kind, order, cents) in enumerate(steps):
        order_id = f"P{run}-{order}"
        if kind == "sale" and order not in sold:
            res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": order_id,
                                                     "amount": format_amount(cents, "CNY"), "code": link["code"],
                                                     "customer": {"external_id": f"c{run}-{order}"}})
            assert res.status_code == 201, res.json
            sold[order] = cents
        elif kind == "refund" and order in sold:
            left = sold[order] - refunded.get(order, 0)
            amount = min(cents, left)
            res = owner.post("/api/v1/conversions", {"type": "refund", "order_id": order_id, "refund_id": f"r{i}",
                                                     "amount": format_amount(amount, "CNY")})
            assert res.status_code == (201 if amount > 0 else 422), res.json
            if amount > 0:
                refunded[order] = refunded.get(order, 0) + amount
    commission = {o: amount_for(Rule("percent", "10"), s, "CNY") for o, s in sold.items()}
    kept = sum(kept_after_refunds(commission[o], sold[o], refunded.get(o, 0)) for o in sold)
    earnings = owner.get(f"/api/v1/sharers/{seller['id']}/earnings").json
    assert parse_amount(earnings["pending"], "CNY") == kept
    assert parse_amount(earnings["reversed"], "CNY") == sum(commission.values()) - kept


def test_one_currency_sign_for_texts_and_cards():
    from decimal import Decimal

    from channels.compose import format_price
    from publishing.render.pricetag import currency_sign
    from publishing.render.pricetag import format_amount as card_amount

    for currency in ("CNY", "INR", "MOP", "CHF"):
        text = format_price(Decimal("199"), currency)
        assert text.startswith(currency_sign(currency).strip()), (currency, text)
    assert card_amount(Decimal("99.9"), "CNY") == "99.90" and card_amount(Decimal("1280"), "CNY") == "1,280"
    assert card_amount(Decimal("12.345"), "BHD") == "12.345"  # three decimals, not rounded to cents
