"""Refunds that name lines (``items`` on a refund): each line gives back its commission by its own
rule, never more than is left of it; the rest refunds the order as a whole, as before."""
from __future__ import annotations

import itertools
from decimal import Decimal

from conftest import CAMPAIGN
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from plumbing import database
from plumbing.money import format_amount
from referrals.models import Commission, Conversion, ConversionItem, LedgerEntry, RefundItem

TEA = {"name": "明前龙井 250g", "sku": "LJ-250", "price": "199.00", "landing_url": "https://shop.example.com/p/lj250"}
CUP = {"name": "Tea cup", "sku": "CUP-1", "price": "50.00", "landing_url": "https://shop.example.com/p/cup",
       "commission": {"type": "percent", "value": "20"}}


def add(owner, product):
    res = owner.post("/api/v1/products", product)
    assert res.status_code == 201, res.json
    return res.json


def refund(owner, order, refund_id, amount, items=None):
    body = {"type": "refund", "order_id": order, "refund_id": refund_id, "amount": amount}
    if items is not None:
        body["items"] = items
    return owner.post("/api/v1/conversions", body)


def count(app, model):
    with database.new_session(app) as s:
        return s.scalar(select(func.count()).select_from(model))


def reversals(res) -> list[tuple[int, str]]:
    return [(r["level"], r["amount"]) for r in res.json["reversals"]]


def state(app, order) -> dict:
    """Per level: (amount, reversed); per SKU: (refunded, refunded quantity)."""
    with database.new_session(app) as s:
        sale = s.scalar(select(Conversion).where(Conversion.order_id == order, Conversion.type == "sale"))
        return {"commissions": {c.level: (c.amount_minor, c.reversed_minor) for c in s.scalars(
                    select(Commission).where(Commission.conversion_id == sale.id))},
                "lines": {i.sku: (i.refunded_minor, i.refunded_quantity) for i in s.scalars(
                    select(ConversionItem).where(ConversionItem.conversion_id == sale.id))},
                "refunded": sale.refunded_minor}


def lined_sale(owner, campaign, make_sharer, order="L-1"):
    """One tea (campaign's 10 % + 2 %: 19.90 + 3.98), two cups (their own 20 % + 2 %: 20.00 + 2.00),
    11.00 of shipping (pays nothing): 310.00, commissions 39.90 and 5.98."""
    leader = make_sharer("大李")
    seller = make_sharer("小林", invited_by=leader["id"])
    res = owner.post("/api/v1/conversions", {
        "type": "sale", "order_id": order, "amount": "310.00", "customer": {"external_id": f"c-{order}"},
        "sharer_id": seller["id"], "campaign_id": campaign["id"],
        "items": [{"sku": "LJ-250", "quantity": 1, "amount": "199.00"},
                  {"sku": "CUP-1", "quantity": 2, "amount": "100.00"}]})
    assert res.status_code == 201, res.json
    assert [c["amount"] for c in res.json["commissions"]] == ["39.90", "5.98"]
    return res.json


def test_a_refund_naming_a_line_gives_back_that_lines_commission(app, owner, campaign, make_sharer):
    add(owner, TEA)
    cup = add(owner, CUP)
    lined_sale(owner, campaign, make_sharer)
    # One cup back: half the cups' own 20.00 + 2.00, not 50/310 of the order's 39.90 (6.44).
    res = refund(owner, "L-1", "r1", "50.00", [{"product_id": cup["id"], "quantity": 1, "amount": "50.00"}])
    assert res.status_code == 201, res.json
    assert reversals(res) == [(1, "10.00"), (2, "1.00")]
    # The answer says what each named line gave back, in exact amounts adding up to the reversals.
    assert res.json["items"] == [{"product_id": cup["id"], "sku": None, "quantity": 1, "amount": "50.00",
                                  "commission_reversed": "10.00", "invite_bonus_reversed": "1.00"}]
    assert res.json["order_reversed"] == {"commission": "0.00", "invite_bonus": "0.00"}
    # The tea, by SKU: its whole 19.90 + 3.98.
    res = refund(owner, "L-1", "r2", "199.00", [{"sku": "LJ-250", "quantity": 1, "amount": "199.00"}])
    assert res.status_code == 201 and reversals(res) == [(1, "19.90"), (2, "3.98")]
    assert [(i["commission_reversed"], i["invite_bonus_reversed"]) for i in res.json["items"]] == [("19.90", "3.98")]
    assert state(app, "L-1")["lines"] == {"LJ-250": (19900, 1), "CUP-1": (5000, 1)}
    # More than is left of a line is refused, naming the line; nothing stored.
    before = count(app, Conversion), count(app, RefundItem)
    for items, field in [([{"product_id": cup["id"], "quantity": 1, "amount": "60.00"}], "items.0.amount"),
                         ([{"sku": "CUP-1", "quantity": 2, "amount": "10.00"}], "items.0.quantity"),
                         ([{"sku": "LJ-250", "quantity": 0, "amount": "0.01"}], "items.0.amount")]:
        res = refund(owner, "L-1", "r3", "60.00", items)
        assert res.status_code == 422 and res.json["error"]["code"] == "refund_exceeds_line", res.json
        assert field in res.json["error"]["fields"], res.json
    assert (count(app, Conversion), count(app, RefundItem)) == before
    # The rest (the last cup and the shipping) without items: everything is given back, exactly.
    res = refund(owner, "L-1", "r4", "61.00")
    assert res.status_code == 201 and reversals(res) == [(1, "10.00"), (2, "1.00")]
    assert state(app, "L-1")["commissions"] == {1: (3990, 3990), 2: (598, 598)}


def test_a_refund_may_name_lines_and_refund_the_rest_of_the_order(app, owner, campaign, make_sharer):
    add(owner, TEA), add(owner, CUP)
    lined_sale(owner, campaign, make_sharer)
    # 60.00: one cup named (its 10.00 back), and 10.00 of the order as a whole: what the
    # lines keep (29.90) is scaled by what is left outside the named cup, 250.00 of 260.00.
    res = refund(owner, "L-1", "r1", "60.00", [{"sku": "CUP-1", "quantity": 1, "amount": "50.00"}])
    assert res.status_code == 201, res.json
    assert reversals(res) == [(1, "11.15"), (2, "1.19")]  # 39.90 − 28.75; 5.98 − 4.79 (4.98 × 250/260)
    assert state(app, "L-1")["refunded"] == 6000
    # Itemised: the cup gave back its own 10.00 + 1.00; the order as a whole the rest (29.90 × 10/260).
    [item] = res.json["items"]
    assert (item["commission_reversed"], item["invite_bonus_reversed"]) == ("10.00", "1.00")
    assert res.json["order_reversed"] == {"commission": "1.15", "invite_bonus": "0.19"}
    # Two lines named at once, after that order-wide refund: each line's share at the order's
    # proportion then (250/260), the order's proportion falling for the 9.00 named nowhere.
    res = refund(owner, "L-1", "r2", "108.00", [{"sku": "LJ-250", "quantity": 0, "amount": "49.00"},
                                               {"sku": "CUP-1", "quantity": 1, "amount": "50.00"}])
    assert res.status_code == 201, res.json
    check_itemised(res)
    assert [(i["commission_reversed"], i["invite_bonus_reversed"]) for i in res.json["items"]] == [
        ("4.71", "0.94"), ("9.62", "0.96")]  # 4.90 × 250/260, 0.98 × 250/260; 10.00 × …, 1.00 × …


def check_itemised(res) -> None:
    """Per level, the named lines' *_reversed and order_reversed add up to the reversals, none negative."""
    for level, name in ((1, "commission"), (2, "invite_bonus")):
        total = sum(Decimal(r["amount"]) for r in res.json["reversals"] if r["level"] == level)
        parts = [Decimal(i[f"{name}_reversed"]) for i in res.json.get("items", [])]
        parts.append(Decimal(res.json["order_reversed"][name]))
        assert sum(parts) == total and min(parts) >= 0, res.json


def test_without_items_a_refund_of_a_lined_sale_is_proportional_as_before(app, owner, campaign, make_sharer):
    add(owner, TEA), add(owner, CUP)
    lined_sale(owner, campaign, make_sharer)
    res = refund(owner, "L-1", "r1", "31.00")
    assert res.status_code == 201 and reversals(res) == [(1, "3.99"), (2, "0.60")]  # a tenth of each
    assert "items" not in res.json
    assert state(app, "L-1")["lines"] == {"LJ-250": (0, 0), "CUP-1": (0, 0)}


def test_bad_refund_items_are_refused_and_store_nothing(app, owner, campaign, make_sharer):
    add(owner, TEA), add(owner, CUP)
    lined_sale(owner, campaign, make_sharer)
    res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": "plain", "amount": "100.00",
                                             "customer": {"external_id": "p"}, "campaign_id": campaign["id"],
                                             "sharer_id": make_sharer("王")["id"]})
    assert res.status_code == 201
    before = count(app, Conversion), count(app, RefundItem)
    for order, items, code, field in [
        ("plain", [{"sku": "CUP-1", "quantity": 1, "amount": "50.00"}], "validation_error", "items"),
        ("L-1", [{"sku": "NOPE", "quantity": 1, "amount": "5.00"}], "validation_error", "items.0.sku"),
        ("L-1", [{"product_id": 99999, "quantity": 1, "amount": "5.00"}], "validation_error", "items.0.product_id"),
        ("L-1", [{"sku": "CUP-1", "product_id": 1, "quantity": 1, "amount": "5.00"}], "validation_error", "items.0"),
        ("L-1", [{"sku": "CUP-1", "quantity": 1, "amount": "0"}], "validation_error", "items.0.amount"),
        ("L-1", [{"sku": "CUP-1", "quantity": 1, "amount": "5.001"}], "validation_error", "items.0.amount"),
        ("L-1", [{"sku": "CUP-1", "quantity": 1, "amount": "25.00"},
                 {"sku": "LJ-250", "quantity": 1, "amount": "25.00"}], "validation_error", "items"),  # > 40.00
        # The same line named twice: together more than is left of it.
        ("L-1", [{"sku": "LJ-250", "quantity": 1, "amount": "30.00"},
                 {"sku": "LJ-250", "quantity": 1, "amount": "10.00"}], "refund_exceeds_line", "items.1.quantity"),
    ]:
        res = refund(owner, order, "bad", "40.00", items)
        assert res.status_code == 422, (items, res.json)
        assert res.json["error"]["code"] == code and field in res.json["error"]["fields"], (items, res.json)
    assert (count(app, Conversion), count(app, RefundItem)) == before
    # A sale's line still sells at least one.
    res = owner.post("/api/v1/conversions", {"type": "sale", "order_id": "zero", "amount": "10.00",
                                             "customer": {"external_id": "z"}, "campaign_id": campaign["id"],
                                             "items": [{"sku": "CUP-1", "quantity": 0, "amount": "10.00"}]})
    assert res.status_code == 422 and "items.0.quantity" in res.json["error"]["fields"]


def test_a_line_refund_before_its_sale_is_applied_to_that_line_when_the_sale_comes(app, owner, campaign,
                                                                                    make_sharer):
    add(owner, TEA), add(owner, CUP)
    early = refund(owner, "L-1", "r1", "50.00", [{"sku": "CUP-1", "quantity": 1, "amount": "50.00"}])
    assert early.status_code == 201 and early.json["applied"] is False and early.json["reversals"] == []
    # A replay answers the same, and applies nothing twice.
    again = refund(owner, "L-1", "r1", "50.00", [{"sku": "CUP-1", "quantity": 1, "amount": "50.00"}])
    assert again.status_code == 200 and again.json == early.json
    lined_sale(owner, campaign, make_sharer)
    assert state(app, "L-1") == {"commissions": {1: (3990, 1000), 2: (598, 100)},
                                 "lines": {"LJ-250": (0, 0), "CUP-1": (5000, 1)}, "refunded": 5000}


def test_an_early_line_refund_larger_than_its_line_is_cut_to_the_line(app, owner, campaign, make_sharer):
    add(owner, TEA), add(owner, CUP)
    # Before the sale nothing can say what is left: 150.00 on the cups (100.00) and a SKU the sale
    # will not have; once the sale comes the cups give back all of theirs, the rest refunds the order.
    early = refund(owner, "L-1", "r1", "160.00", [{"sku": "CUP-1", "quantity": 3, "amount": "150.00"},
                                                  {"sku": "GONE", "quantity": 1, "amount": "10.00"}])
    assert early.status_code == 201, early.json
    lined_sale(owner, campaign, make_sharer)
    after = state(app, "L-1")
    assert after["lines"] == {"LJ-250": (0, 0), "CUP-1": (10000, 2)} and after["refunded"] == 16000
    # Level 1: the tea's 19.90 kept, scaled by what is left outside the cups: 150.00 of 210.00.
    assert after["commissions"] == {1: (3990, 3990 - 1421), 2: (598, 598 - 284)}


_runs = itertools.count()
PRODUCTS = [("TEA", 19900, None, "8000"), ("CUP", 5000, {"type": "percent", "value": "20"}, None),
            ("POT", 25000, {"type": "fixed", "value": "40.00"}, "20000")]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sold=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 3), st.integers(-500, 500)), min_size=1,
                     max_size=4),
       shipping=st.integers(0, 2000), early=st.booleans(),
       refunds=st.lists(st.tuples(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3),
                                                     st.none() | st.integers(1, 40_000)), max_size=3),
                                  st.just(0) | st.integers(1, 3000)), min_size=1, max_size=6))
def test_any_mix_of_line_refunds_nets_exactly_and_no_line_gives_back_more_than_it_paid(
        app, owner, make_sharer, sold, shipping, early, refunds):
    """``refunds``: each names (line index, quantity, amount; None: all that is left of the line) and
    adds an unnamed part; the model
    says which are refused (a line over-refunded, or the order), the API must agree; at the end
    the ledger nets, each line's refunds stay within it, and a line refunded whole gave back all
    it paid (with no unnamed part, the commission gave back exactly the named lines' shares)."""
    run = next(_runs)
    for sku, price, rule, cost in PRODUCTS:
        body = {"name": sku, "sku": f"{sku}{run}", "price": format_amount(price, "CNY"),
                "landing_url": "https://shop.example.com/p", "commission": rule}
        if cost:
            body["cost"] = format_amount(int(cost), "CNY")
        add(owner, body)
    campaign = owner.post("/api/v1/campaigns", CAMPAIGN).json
    seller = make_sharer("小林", invited_by=make_sharer("大李")["id"])
    lines = [(f"{PRODUCTS[p][0]}{run}", q, PRODUCTS[p][1] * q + drift) for p, q, drift in sold]
    total = sum(amount for _, _, amount in lines) + shipping
    order = f"P{run}"
    left = {i: [amount, q] for i, (_, q, amount) in enumerate(lines)}
    sale_left, unnamed = total, 0

    def send_sale():
        res = owner.post("/api/v1/conversions", {
            "type": "sale", "order_id": order, "amount": format_amount(total, "CNY"), "campaign_id": campaign["id"],
            "customer": {"external_id": f"b{run}"}, "sharer_id": seller["id"],
            "items": [{"sku": sku, "quantity": q, "amount": format_amount(a, "CNY")} for sku, q, a in lines]})
        assert res.status_code == 201, res.json

    if not early:
        send_sale()
    for n, (named, extra) in enumerate(refunds):
        named = [(i % len(lines), q, a) if a is not None else (i % len(lines), *reversed(left[i % len(lines)]))
                 for i, q, a in named]
        named = [(i, q, a) for i, q, a in named if a > 0]
        if early and n == 0:
            extra = max(extra, 1)  # (the sale comes after this refund: it must be recorded)
        amount = sum(a for _, _, a in named) + extra
        items = [{"sku": lines[i][0], "quantity": q, "amount": format_amount(a, "CNY")} for i, q, a in named]
        res = refund(owner, order, f"r{n}", format_amount(amount, "CNY"), items or None)
        if amount == 0:
            assert res.status_code == 422
            continue
        # Several lines may sell one SKU: the model takes from them in order, as the service does.
        want = {i: list(v) for i, v in left.items()}
        fits = amount <= sale_left
        for i, q, a in named:
            same = [j for j in want if lines[j][0] == lines[i][0]]
            if a > sum(want[j][0] for j in same) or q > sum(want[j][1] for j in same):
                fits = False
                break
            for j in same:
                take_a, take_q = min(a, want[j][0]), min(q, want[j][1])
                want[j][0] -= take_a
                want[j][1] -= take_q
                a, q = a - take_a, q - take_q
        if early and n == 0:
            # Before the sale nothing is refused; it is cut to the lines when the sale comes.
            assert res.status_code == 201, res.json
            send_sale()
            with database.new_session(app) as s:
                for j, line in enumerate(s.scalars(select(ConversionItem).join(Conversion).where(
                        Conversion.order_id == order).order_by(ConversionItem.id))):
                    left[j] = [line.amount_minor - line.refunded_minor, line.quantity - line.refunded_quantity]
                sale_left = total - s.scalar(select(Conversion.refunded_minor).where(
                    Conversion.order_id == order, Conversion.type == "sale"))
            unnamed = None  # unknown split: the exact check below is skipped
            continue
        assert res.status_code == (201 if fits else 422), (named, extra, res.json)
        if fits:
            left, sale_left = want, sale_left - amount
            if unnamed is not None:
                unnamed += extra
            check_itemised(res)
            if unnamed == 0:  # nothing ever refunded outside the lines: the lines gave back everything
                assert res.json["order_reversed"] == {"commission": "0.00", "invite_bonus": "0.00"}, res.json
    with database.new_session(app) as s:
        sale = s.scalar(select(Conversion).where(Conversion.order_id == order, Conversion.type == "sale"))
        items = list(s.scalars(select(ConversionItem).where(ConversionItem.conversion_id == sale.id)
                               .order_by(ConversionItem.id)))
        assert sale.refunded_minor == total - sale_left
        for j, item in enumerate(items):
            assert 0 <= item.refunded_minor <= item.amount_minor and 0 <= item.refunded_quantity <= item.quantity
            assert [item.amount_minor - item.refunded_minor, item.quantity - item.refunded_quantity] == left[j]
        commissions = list(s.scalars(select(Commission).where(Commission.conversion_id == sale.id)))
        assert len(commissions) <= 2
        for c in commissions:
            paid = [i.commission_minor if c.level == 1 else i.invite_minor for i in items]
            assert sum(paid) == c.amount_minor
            assert 0 <= c.reversed_minor <= c.amount_minor
            whole = sum(p for p, i in zip(paid, items) if i.refunded_minor == i.amount_minor)
            assert c.reversed_minor >= whole  # a line refunded whole gave back all it paid
            if sale.refunded_minor == total:
                assert c.reversed_minor == c.amount_minor
            if unnamed == 0:  # named refunds only: each line gave back its own share, nothing else
                assert c.reversed_minor == sum(
                    p - int((p * (i.amount_minor - i.refunded_minor) * 2 + i.amount_minor) // (2 * i.amount_minor))
                    for p, i in zip(paid, items))
            entries = dict(s.execute(select(LedgerEntry.bucket, func.sum(LedgerEntry.amount_minor))
                                     .where(LedgerEntry.commission_id == c.id).group_by(LedgerEntry.bucket)).all())
            assert sum(entries.values()) == c.amount_minor and entries.get("reversed", 0) == c.reversed_minor
