"""Order lines from shops and payments reach the conversion service: each line matched to a
catalogue product by SKU and paid by its rule; a SKU the catalogue does not know is flagged."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from test_integrations import (  # noqa: F401 (fixtures)
    _test_start,
    checkout_session,
    commissions,
    conversions,
    shopify,
    shopify_order,
    shopify_refund,
    stripe_sender,
    world,
)
from test_integrations_more import signed, woo, woo_order  # noqa: F401 (fixtures)

from plumbing import database
from referrals.models import ConversionItem, RefundItem


@pytest.fixture
def catalogue(world):  # noqa: F811
    """Two products: the tea pays 20 % (its own rule), the cups the campaign's 10 %."""
    made = {}
    for sku, name, price, rule in (("LJ-250", "Longjing 250 g", "100.00", {"type": "percent", "value": "20"}),
                                   ("CUP-2", "Two cups", "49.50", None)):
        res = world["api"].post("/api/v1/products", {"name": name, "sku": sku, "price": price, "commission": rule,
                                                     "landing_url": "https://shop.example.com/p/" + sku.lower()})
        assert res.status_code == 201, res.json
        made[sku] = res.json["id"]
    return made


def lines(app) -> list[tuple]:
    """(product_id, sku, quantity, amount, commission, flag) of every stored line."""
    with database.new_session(app) as s:
        return [(i.product_id, i.sku, i.quantity, i.amount_minor, i.commission_minor, i.flag)
                for i in s.scalars(select(ConversionItem).order_by(ConversionItem.id))]


def test_shopify_line_items_pay_per_product_and_flag_an_unknown_sku(app, world, catalogue, shopify):  # noqa: F811
    order = shopify_order(click_id=world["click_id"], total="269.50", line_items=[
        # two of the tea at 100.00 with 20.00 of an order discount allocated to the line: 180.00
        {"id": 1, "variant_id": 11, "sku": "LJ-250", "quantity": 2, "price": "100.00",
         "discount_allocations": [{"amount": "20.00", "discount_application_index": 0}]},
        {"id": 2, "variant_id": 12, "sku": "CUP-2", "quantity": 1, "price": "49.50", "discount_allocations": []},
        {"id": 3, "variant_id": 13, "sku": "GIFT-BOX", "quantity": 1, "price": "20.00", "discount_allocations": []},
        {"id": 4, "variant_id": 14, "sku": "", "quantity": 1, "price": "10.00", "discount_allocations": []},
        {"id": 5, "variant_id": 15, "sku": "CUP-2", "quantity": 0, "price": "49.50"},  # removed: sells nothing
    ])
    for _ in range(2):
        assert shopify.send("orders/paid", order).status_code == 200
    assert lines(app) == [
        (catalogue["LJ-250"], "LJ-250", 2, 18000, 3600, "below_brand_price"),  # 20 % of 180.00
        (catalogue["CUP-2"], "CUP-2", 1, 4950, 495, ""),  # the campaign's 10 %
        (None, "GIFT-BOX", 1, 2000, 200, "unknown_sku"),
        (None, "shopify:variant:14", 1, 1000, 100, "unknown_sku"),
    ]
    assert commissions(app) == [(1, 3600 + 495 + 200 + 100, 0)]


def _refunded_line(line_id: int, sku: str, quantity: int, subtotal: str) -> dict:
    """A ``refund_line_items`` entry as Shopify sends it in ``refunds/create``."""
    return {"id": 100 + line_id, "line_item_id": line_id, "quantity": quantity, "restock_type": "return",
            "subtotal": subtotal, "total_tax": "0.00",
            "line_item": {"id": line_id, "variant_id": 10 + line_id, "sku": sku, "quantity": 2, "price": "100.00"}}


def test_a_shopify_refund_names_its_lines_and_each_gives_back_its_own_commission(app, world, catalogue,  # noqa: F811
                                                                                 shopify):  # noqa: F811
    order = shopify_order(click_id=world["click_id"], total="249.50", line_items=[
        {"id": 1, "variant_id": 11, "sku": "LJ-250", "quantity": 2, "price": "100.00", "discount_allocations": []},
        {"id": 2, "variant_id": 12, "sku": "CUP-2", "quantity": 1, "price": "49.50", "discount_allocations": []}])
    assert shopify.send("orders/paid", order).status_code == 200
    assert commissions(app) == [(1, 4000 + 495, 0)]  # the tea's own 20 %, the cup the campaign's 10 %
    # One tea back: half of the tea's 40.00, not 100/249.50 of the order's 44.95 (18.02).
    refund = {**shopify_refund("100.00"), "refund_line_items": [_refunded_line(1, "LJ-250", 1, "100.00")]}
    for _ in range(2):  # a re-delivery changes nothing
        assert shopify.send("refunds/create", refund).status_code == 200
    assert commissions(app) == [(1, 4495, 2000)]
    with database.new_session(app) as s:
        assert [(i.sku, i.refunded_minor, i.refunded_quantity) for i in s.scalars(
            select(ConversionItem).order_by(ConversionItem.id))] == [("LJ-250", 10000, 1), ("CUP-2", 0, 0)]
    # Lines that do not fit what the sale recorded (60.00 of a 49.50 cup): the refund is kept,
    # refunding the order as a whole (44.95 − 20.00 kept by the lines, × 89.50 / 149.50 → 14.94).
    odd = {**shopify_refund("60.00", refund_id=509562970), "refund_line_items": [_refunded_line(2, "CUP-2", 1, "60.00")]}
    for _ in range(2):
        assert shopify.send("refunds/create", odd).status_code == 200
    assert commissions(app) == [(1, 4495, 4495 - 1494)]
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(RefundItem)) == 1  # the first refund's line only


def test_shopify_lines_adding_up_to_more_than_the_order_are_refused(app, world, catalogue, shopify):  # noqa: F811
    order = shopify_order(click_id=world["click_id"], total="99.00",
                          line_items=[{"id": 1, "sku": "LJ-250", "quantity": 1, "price": "100.00"}])
    assert shopify.send("orders/paid", order).status_code == 422
    assert conversions(app) == [] and lines(app) == []


def test_woocommerce_line_items_pay_per_product(app, world, catalogue, woo):  # noqa: F811
    order = woo_order(world["click_id"], total="149.50", line_items=[
        {"id": 1, "product_id": 70, "variation_id": 0, "sku": "LJ-250", "quantity": 1, "subtotal": "100.00",
         "total": "100.00"},
        {"id": 2, "product_id": 71, "variation_id": 0, "sku": "", "quantity": 1, "subtotal": "49.50",
         "total": "49.50"},
    ])
    assert woo.send("order.updated", order).status_code == 200
    assert lines(app) == [(catalogue["LJ-250"], "LJ-250", 1, 10000, 2000, ""),
                          (None, "woocommerce:product:71", 1, 4950, 495, "unknown_sku")]
    assert commissions(app) == [(1, 2495, 0)]


def _woo_refunded_line(line_id: int, product_id: int, sku: str, quantity: int, total: str) -> dict:
    """A refund's line as the WooCommerce order refunds API gives it (quantity and totals negative,
    ``_refunded_item_id`` naming the order's line), added to the order webhook by the shop."""
    return {"id": 900 + line_id, "name": sku, "product_id": product_id, "variation_id": 0, "quantity": -quantity,
            "tax_class": "", "subtotal": f"-{total}", "subtotal_tax": "0.00", "total": f"-{total}",
            "total_tax": "0.00", "taxes": [], "sku": sku, "price": -float(total) / quantity,
            "meta_data": [{"id": 1000 + line_id, "key": "_refunded_item_id", "value": str(line_id)}]}


def test_a_woocommerce_refund_carrying_its_lines_names_them(app, world, catalogue, woo):  # noqa: F811
    sold = [{"id": 1, "product_id": 70, "variation_id": 0, "sku": "LJ-250", "quantity": 2, "subtotal": "200.00",
             "total": "200.00"},
            {"id": 2, "product_id": 71, "variation_id": 0, "sku": "", "quantity": 1, "subtotal": "49.50",
             "total": "49.50"}]
    assert woo.send("order.updated", woo_order(world["click_id"], total="249.50", line_items=sold)).status_code == 200
    assert commissions(app) == [(1, 4000 + 495, 0)]
    # One tea back, its line named: half the tea's own 40.00 (not 100/249.50 of the order's 44.95).
    refunds = [{"id": 730, "reason": "broken", "total": "-100.00",
                "line_items": [_woo_refunded_line(1, 70, "LJ-250", 1, "100.00")]}]
    for _ in range(2):  # every later order.updated lists the refund again: applied once
        res = woo.send("order.updated", woo_order(world["click_id"], total="249.50", line_items=sold,
                                                  refunds=refunds))
        assert res.status_code == 200
    assert commissions(app) == [(1, 4495, 2000)]
    # The cup without a SKU is named by its product id, as it was sold; lines adding up to more than
    # the refund (a malformed entry) refund the order as a whole instead.
    refunds += [{"id": 731, "reason": "", "total": "-49.50",
                 "line_items": [_woo_refunded_line(2, 71, "", 1, "49.50")]},
                {"id": 732, "reason": "", "total": "-10.00",
                 "line_items": [_woo_refunded_line(1, 70, "LJ-250", 1, "100.00")]}]
    assert woo.send("order.updated", woo_order(world["click_id"], total="249.50", line_items=sold,
                                               refunds=refunds)).status_code == 200
    with database.new_session(app) as s:
        assert [(i.sku, i.refunded_minor, i.refunded_quantity) for i in s.scalars(
            select(ConversionItem).order_by(ConversionItem.id))] == [("LJ-250", 10000, 1),
                                                                     ("woocommerce:product:71", 4950, 1)]
        assert [(r.sku, r.quantity, r.amount_minor) for r in s.scalars(select(RefundItem).order_by(RefundItem.id))] \
            == [("LJ-250", 1, 10000), ("woocommerce:product:71", 1, 4950)]
    # 4495: 2000 (tea) + 495 (cup) named; then 10.00 of the 100.00 left, the tea's 20.00 kept × 90/100.
    assert commissions(app) == [(1, 4495, 2000 + 495 + 200)]
    # A line whose amount is not a number (another script's digits) cannot be named: the refund is of
    # the order as a whole, and the delivery is taken, the earlier refunds left as they were.
    bad = _woo_refunded_line(1, 70, "LJ-250", 1, "100.00") | {"total": "-١٠.٠٠"}
    refunds += [{"id": 733, "reason": "", "total": "-10.00", "line_items": [bad]}]
    assert woo.send("order.updated", woo_order(world["click_id"], total="249.50", line_items=sold,
                                               refunds=refunds)).status_code == 200
    with database.new_session(app) as s:
        assert s.scalar(select(func.count()).select_from(RefundItem)) == 2
    # 10.00 more of the order as a whole: only the tea has money left (90.00, commission 18.00): 2.00 back.
    assert commissions(app) == [(1, 4495, 2000 + 495 + 200 + 200)]


def test_stripe_session_with_its_line_items_pays_per_product(app, world, catalogue, stripe_sender):  # noqa: F811
    session = checkout_session(world["click_id"], amount=24950, line_items={"object": "list", "data": [
        {"id": "li_1", "object": "item", "quantity": 1, "amount_subtotal": 10000, "amount_discount": 0,
         "amount_tax": 0, "amount_total": 10000, "currency": "cny", "description": "Longjing",
         "price": {"id": "price_1", "lookup_key": None, "metadata": {},
                   "product": {"id": "prod_1", "metadata": {"sku": "LJ-250"}}}},
        {"id": "li_2", "object": "item", "quantity": 3, "amount_subtotal": 14850, "amount_discount": 0,
         "amount_tax": 0, "amount_total": 14850, "currency": "cny", "description": "Cups",
         "price": {"id": "price_2", "lookup_key": "CUP-2", "metadata": {}, "product": "prod_2"}},
        {"id": "li_3", "object": "item", "quantity": 1, "amount_subtotal": 100, "amount_discount": 0,
         "amount_tax": 0, "amount_total": 100, "currency": "cny", "description": "Card",
         "price": {"id": "price_3", "lookup_key": None, "metadata": {}, "product": "prod_3"}},
    ]})
    assert stripe_sender.send("checkout.session.completed", session).status_code == 200
    assert lines(app) == [(catalogue["LJ-250"], "LJ-250", 1, 10000, 2000, ""),
                          (catalogue["CUP-2"], "CUP-2", 3, 14850, 1485, ""),
                          (None, "stripe:prod_3", 1, 100, 10, "unknown_sku")]


def test_stripe_session_without_line_items_pays_the_campaigns_rule(app, world, catalogue, stripe_sender):  # noqa: F811
    assert stripe_sender.send("checkout.session.completed", checkout_session(world["click_id"])).status_code == 200
    assert lines(app) == [] and commissions(app) == [(1, 1990, 0)]


def test_signed_order_webhook_items_by_sku(app, world, catalogue, signed):  # noqa: F811
    res = signed.send({"type": "order.paid", "data": {
        "order_id": "S-1", "amount": "100.00", "click_id": world["click_id"],
        "customer": {"external_id": "c-1"}, "items": [{"sku": "LJ-250", "quantity": 1, "amount": "100.00"}]}})
    assert res.status_code == 204, res.text
    assert lines(app) == [(catalogue["LJ-250"], "LJ-250", 1, 10000, 2000, "")]


def test_a_signed_order_refund_names_its_lines(app, world, catalogue, signed):  # noqa: F811
    res = signed.send({"type": "order.paid", "data": {
        "order_id": "S-2", "amount": "149.50", "click_id": world["click_id"], "customer": {"external_id": "c-2"},
        "items": [{"sku": "LJ-250", "quantity": 1, "amount": "100.00"},
                  {"sku": "CUP-2", "quantity": 1, "amount": "49.50"}]}})
    assert res.status_code == 204, res.text
    res = signed.send({"type": "order.refunded", "data": {
        "order_id": "S-2", "refund_id": "R-1", "amount": "49.50",
        "items": [{"sku": "CUP-2", "quantity": 1, "amount": "49.50"}]}})
    assert res.status_code == 204, res.text
    assert commissions(app) == [(1, 2000 + 495, 495)]  # the cup's own 4.95, not 49.50/149.50 of 24.95
