"""WooCommerce, Alipay and the generic signed order webhook: the same promises as the others."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from platform_senders import AlipaySender, SignedOrdersSender, WooCommerceSender
from test_integrations import _test_start, commissions, connect, conversions, moment, world  # noqa: F401 (fixtures)

from integrations.alipay import signed_content


def beijing(minutes=1) -> str:
    return moment(minutes).strftime("%Y-%m-%d %H:%M:%S")


def utc(minutes=1) -> str:
    return moment(minutes).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


# --- WooCommerce -------------------------------------------------------------------------

def woo_order(click_id=None, status="processing", refunds=(), currency="CNY", **extra):
    return {"id": 727, "status": status, "currency": currency, "total": "199.00", "customer_id": 0,
            "date_created_gmt": utc(), "date_paid_gmt": utc() if status in ("processing", "completed") else None,
            "billing": {"first_name": "小", "last_name": "王", "email": "buyer@example.com", "phone": ""},
            "meta_data": [{"id": 1, "key": "_sc_click", "value": click_id}] if click_id else [],
            "line_items": [{"id": 315, "sku": "LJ-250", "quantity": 1, "total": "199.00"}],
            "coupon_lines": [], "refunds": list(refunds), **extra}


@pytest.fixture
def woo(world):  # noqa: F811
    sender = WooCommerceSender()
    sender.url = connect(world, "woocommerce", {"secret": sender.secret})
    return sender


def test_woocommerce_paid_order_with_the_snippet_click_in_its_meta(app, world, woo):  # noqa: F811
    assert woo.send("order.created", woo_order(world["click_id"], status="pending")).status_code == 200
    assert conversions(app) == []  # not paid yet
    paid = woo_order(world["click_id"])
    for _ in range(2):
        assert woo.send("order.updated", paid).status_code == 200
    [sale] = conversions(app)
    assert (sale.order_id, sale.amount_minor, sale.sharer_id) == ("727", 19900, world["sharer"]["id"])


def test_woocommerce_refunds_listed_on_the_order_apply_once(app, world, woo):  # noqa: F811
    refunded = woo_order(world["click_id"], refunds=[{"id": 730, "reason": "", "total": "-99.50"}])
    for _ in range(2):
        assert woo.send("order.updated", refunded).status_code == 200
    assert commissions(app) == [(1, 1990, 995)]
    assert woo.send("order.updated", refunded, secret="wrong").status_code == 401
    assert woo.send("order.updated", {**refunded, "currency": "USD"}).status_code == 409
    assert len(conversions(app)) == 2


def test_woocommerce_ping_on_saving_the_webhook_is_answered(app, world, woo):  # noqa: F811
    assert woo.send("action.woocommerce_ping", b"webhook_id=7").status_code == 200
    assert conversions(app) == []


# --- Alipay ------------------------------------------------------------------------------

def alipay_paid(sender, click_id=None, **extra):
    return {"trade_no": "2026113022001441000512345678", "out_trade_no": "SC20261130001",
            "trade_status": "TRADE_SUCCESS", "total_amount": "199.00", "receipt_amount": "199.00",
            "buyer_id": "2088102122524333", "gmt_create": beijing(), "gmt_payment": beijing(),
            "seller_id": "2088101117955611", "subject": "明前龙井",
            "passback_params": quote(f"sc_click={click_id}") if click_id else "", **extra}


@pytest.fixture
def alipay(world):  # noqa: F811
    sender = AlipaySender()
    sender.url = connect(world, "alipay", {"app_id": sender.app_id, "alipay_public_key": sender.public_key})
    return sender


def test_signed_content_is_the_documented_sorted_string():
    params = {"b": "2", "a": "1", "sign": "x", "sign_type": "RSA2", "empty": "", "c": "中 文"}
    assert signed_content(params) == "a=1&b=2&c=中 文".encode()


def test_alipay_paid_notification_is_credited_once_and_answered_success(app, world, alipay):  # noqa: F811
    notice = alipay_paid(alipay, world["click_id"])
    for _ in range(2):
        res = alipay.send(notice)
        assert res.status_code == 200 and res.text == "success"
    [sale] = conversions(app)
    assert (sale.order_id, sale.amount_minor, sale.sharer_id) == ("SC20261130001", 19900, world["sharer"]["id"])


def test_alipay_signature_and_app_id_fail_closed(app, world, alipay):  # noqa: F811
    notice = alipay_paid(alipay, world["click_id"])
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert alipay.send(notice, signer=impostor).status_code == 401
    assert alipay.send(notice, tamper={"total_amount": "1.00"}).status_code == 401
    assert alipay.send({**notice, "app_id": "2021000000000000"}).status_code == 401
    res = alipay.send(notice, tamper={"sign_type": "RSA"})
    assert res.status_code == 401 and res.text == "fail"
    assert conversions(app) == []


def test_alipay_refund_totals_apply_what_is_new_even_before_the_payment(app, world, alipay):  # noqa: F811
    paid = alipay_paid(alipay, world["click_id"])
    first = {**paid, "refund_fee": "50.00", "gmt_refund": beijing(2) + ".123", "out_biz_no": "R1"}
    assert alipay.send(first).text == "success"
    assert alipay.send(paid).text == "success"
    closed = {**paid, "trade_status": "TRADE_CLOSED", "refund_fee": "199.00", "gmt_refund": beijing(3) + ".001",
              "out_biz_no": "R2"}
    for notice in (closed, first, closed):
        assert alipay.send(notice).text == "success"
    assert [c.amount_minor for c in conversions(app) if c.type == "refund"] == [5000, 14900]
    assert commissions(app) == [(1, 1990, 1990)]


# --- Sharecast's own signed order webhook ------------------------------------------------

@pytest.fixture
def signed(world):  # noqa: F811
    sender = SignedOrdersSender()
    res = world["api"].client.put("/api/v1/integrations/signed_orders", json={}, headers=world["api"]._headers(None))
    assert res.status_code == 200 and res.json["secret"].startswith("whsec_")
    sender.url, sender.secret = res.json["webhook_url"], res.json["secret"]
    listed = world["api"].get("/api/v1/integrations").json
    assert sender.secret not in str(listed)
    return sender


def test_signed_order_webhook_records_a_sale_and_refund_once(app, world, signed):  # noqa: F811
    sale = {"type": "order.paid", "data": {"order_id": "W-1", "amount": "199.00", "click_id": world["click_id"],
                                           "customer": {"external_id": "c-9"}}}
    refund = {"type": "order.refunded", "data": {"order_id": "W-1", "amount": "19.90", "refund_id": "r1"}}
    for body in (sale, sale, refund, refund):
        assert signed.send(body).status_code == 204
    assert commissions(app) == [(1, 1990, 199)]


def test_signed_order_webhook_fails_closed_and_refuses_bad_orders(app, world, signed):  # noqa: F811
    sale = {"type": "order.paid", "data": {"order_id": "W-1", "amount": "199.00", "customer": {"external_id": "c"}}}
    assert signed.send(sale, secret="whsec_" + "QUJD" * 8).status_code == 401
    assert signed.send(sale, at=datetime.now(timezone.utc) - timedelta(minutes=10)).status_code == 401
    res = signed.send({"type": "order.paid", "data": {"order_id": "W-1", "amount": 199.0,
                                                      "customer": {"external_id": "c"}}})
    assert res.status_code == 422 and "amount" in res.json()["error"]
    assert signed.send({"type": "order.shipped", "data": {}}).status_code == 400
    assert conversions(app) == []
