"""Shop and payment integrations: connect, verify the sender as each platform documents,
record orders and refunds once, fail closed. Each platform's fake sender posts over real HTTP."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from conftest import BROWSER, Api, drain, path_of
from cryptography.hazmat.primitives.asymmetric import rsa
from platform_senders import ShopifySender, StripeSender, WeChatPaySender
from sqlalchemy import select

from plumbing import database
from referrals.models import Commission, Conversion


@pytest.fixture
def world(app, owner, campaign, make_sharer, make_link, page_server):
    """A sharer's link clicked once (the click written): what a shop's order names."""
    sharer = make_sharer()
    link = make_link(campaign["id"], sharer["id"])
    res = owner.client.get(path_of(link["url"]), headers={"User-Agent": BROWSER})
    click_id = res.headers["Location"].split("sc_click=")[1].split("#")[0]
    drain(app)
    api = Api(owner.client, owner.key)
    return {"sharer": sharer, "click_id": click_id, "api": api, "campaign": campaign}


def connect(world, provider, settings) -> str:
    res = world["api"].client.put(f"/api/v1/integrations/{provider}", json=settings,
                                  headers=world["api"]._headers(None))
    assert res.status_code == 200, res.json
    assert res.json["connected"] and res.json["webhook_url"].startswith("http://127.0.0.1:")
    return res.json["webhook_url"]


def conversions(app) -> list[Conversion]:
    with database.new_session(app) as s:
        return list(s.scalars(select(Conversion).order_by(Conversion.id)))


def commissions(app) -> list[tuple[int, int, int]]:
    """(level, amount, reversed) of every commission."""
    with database.new_session(app) as s:
        return [(c.level, c.amount_minor, c.reversed_minor)
                for c in s.scalars(select(Commission).order_by(Commission.level))]


_start: list[datetime] = []


@pytest.fixture(autouse=True)
def _test_start():
    """One "now" per test, so a payload built twice is the same payload."""
    _start[:] = [datetime.now(timezone(timedelta(hours=8))).replace(microsecond=0)]


def moment(minutes=1) -> datetime:
    """A moment after the test's click."""
    return _start[0] + timedelta(minutes=minutes)


def soon(minutes=1) -> str:
    """``moment`` in China's time zone, as the platforms write it."""
    return moment(minutes).isoformat()


def stamp(minutes=1) -> int:
    return int(moment(minutes).timestamp())


# --- Shopify -----------------------------------------------------------------------------

def shopify_order(order_id=820982911946154508, click_id=None, currency="CNY", total="199.00", **extra):
    return {"id": order_id, "name": "#1001", "email": "buyer@example.com", "currency": currency,
            "total_price": total, "financial_status": "paid", "created_at": soon(), "processed_at": soon(),
            "landing_site": f"/p/longjing?utm_source=sharecast&sc_click={click_id}" if click_id else "/",
            "note_attributes": [], "discount_codes": [],
            "customer": {"id": 115310627314723954, "email": "buyer@example.com", "first_name": "小", "last_name": "王",
                         "phone": None},
            "line_items": [{"id": 866550311766439020, "sku": "LJ-250", "quantity": 1, "price": total}], **extra}


def shopify_refund(amount="50.00", currency="CNY", refund_id=509562969, order_id=820982911946154508):
    return {"id": refund_id, "order_id": order_id, "created_at": soon(3),
            "transactions": [{"id": 179259969, "kind": "refund", "status": "success", "amount": amount,
                              "currency": currency, "processed_at": soon(3)}]}


@pytest.fixture
def shopify(world):
    sender = ShopifySender()
    sender.url = connect(world, "shopify", {"secret": sender.secret})
    return sender


def test_connected_integrations_list_their_address_never_their_secret(world, shopify):
    listed = world["api"].get("/api/v1/integrations").json["items"]
    by = {i["provider"]: i for i in listed}
    assert set(by) >= {"shopify", "stripe", "wechatpay"}
    assert by["shopify"]["connected"] and by["shopify"]["fields"] == ["secret"]
    assert by["shopify"]["webhook_url"] == shopify.url and not by["stripe"]["connected"]
    assert shopify.secret not in str(listed)


def test_shopify_paid_order_from_a_landing_page_click_is_credited(app, world, shopify):
    res = shopify.send("orders/paid", shopify_order(click_id=world["click_id"]))
    assert res.status_code == 200, res.text
    [sale] = conversions(app)
    assert (sale.type, sale.order_id, sale.amount_minor, sale.currency) == ("sale", "820982911946154508", 19900, "CNY")
    assert sale.sharer_id == world["sharer"]["id"] and sale.attribution == "click"
    assert commissions(app) == [(1, 1990, 0)]


def test_shopify_bad_signature_is_refused_and_stores_nothing(app, world, shopify):
    res = shopify.send("orders/paid", shopify_order(click_id=world["click_id"]), secret="not-the-secret")
    assert res.status_code == 401
    assert conversions(app) == []
    control = shopify.send("orders/paid", shopify_order())
    assert control.status_code == 200  # the same notification with the right secret passes


@pytest.mark.parametrize("total", ["١٩٩.٠٠", "1e999999", "NaN", "-199.00", "199,00", ""])
def test_a_signed_order_whose_total_is_not_an_amount_is_refused_and_stores_nothing(app, world, shopify, total):
    """Another script's digits (which Decimal takes), an exponent (expanded into a huge string), and the rest."""
    res = shopify.send("orders/paid", shopify_order(click_id=world["click_id"]) | {"total_price": total})
    assert res.status_code == 400 and "not an amount" in res.text
    assert conversions(app) == []


def test_shopify_redelivery_changes_nothing(app, world, shopify):
    order = shopify_order(click_id=world["click_id"])
    assert [shopify.send("orders/paid", order).status_code for _ in range(3)] == [200, 200, 200]
    assert shopify.send("orders/create", order).status_code == 200
    assert len(conversions(app)) == 1 and commissions(app) == [(1, 1990, 0)]


def test_shopify_refund_before_its_order_is_applied_when_the_order_comes(app, world, shopify):
    assert shopify.send("refunds/create", shopify_refund("99.50")).status_code == 200
    [early] = conversions(app)
    assert early.type == "refund" and not early.applied
    assert shopify.send("orders/paid", shopify_order(click_id=world["click_id"])).status_code == 200
    assert commissions(app) == [(1, 1990, 995)]
    assert shopify.send("refunds/create", shopify_refund("99.50")).status_code == 200  # redelivered: nothing new
    assert commissions(app) == [(1, 1990, 995)]


def test_shopify_refund_in_another_currency_is_refused_and_stores_nothing(app, world, shopify):
    assert shopify.send("orders/paid", shopify_order(click_id=world["click_id"])).status_code == 200
    res = shopify.send("refunds/create", shopify_refund("10.00", currency="USD"))
    assert res.status_code == 422 and "CNY" in res.text
    assert [c.type for c in conversions(app)] == ["sale"] and commissions(app) == [(1, 1990, 0)]


def test_shopify_order_in_another_currency_than_the_campaign_is_refused(app, world, shopify):
    res = shopify.send("orders/paid", shopify_order(click_id=world["click_id"], currency="USD"))
    assert res.status_code == 422 and conversions(app) == []


def test_shopify_discount_code_of_a_sharer_attributes_the_order(app, world, shopify):
    order = shopify_order(discount_codes=[{"code": world["sharer"]["code"].lower(), "amount": "0.00",
                                           "type": "fixed_amount"}])
    assert shopify.send("orders/paid", order).status_code == 200
    [sale] = conversions(app)
    assert sale.sharer_id == world["sharer"]["id"] and sale.attribution == "coupon"


def test_shopify_click_id_in_a_cart_note_attribute(app, world, shopify):
    order = shopify_order(note_attributes=[{"name": "sc_click", "value": world["click_id"]}])
    assert shopify.send("orders/paid", order).status_code == 200
    assert conversions(app)[0].sharer_id == world["sharer"]["id"]


def test_unpaid_orders_and_other_topics_record_nothing(app, world, shopify):
    assert shopify.send("orders/create", shopify_order(financial_status="pending")).status_code == 200
    assert shopify.send("products/update", {"id": 1}).status_code == 200
    assert conversions(app) == []


def test_unknown_address_and_disconnected_integration_answer_404(app, world, shopify):
    order = shopify_order(click_id=world["click_id"])
    good = shopify.url
    shopify.url = good[:-3] + "xyz"
    assert shopify.send("orders/paid", order).status_code == 404
    res = world["api"].client.delete("/api/v1/integrations/shopify", headers=world["api"]._headers(None))
    assert res.status_code == 204
    shopify.url = good
    assert shopify.send("orders/paid", order).status_code == 404
    assert conversions(app) == []


def test_bad_settings_are_refused_and_only_owners_connect(app, world):
    api = world["api"]
    for provider, settings in (("shopify", {"secret": ""}), ("stripe", {"secret": "sk_live_x"}),
                               ("wechatpay", {"apiv3_key": "short", "platform_key": "nope", "serial": ""})):
        res = api.client.put(f"/api/v1/integrations/{provider}", json=settings, headers=api._headers(None))
        assert res.status_code == 422, res.json
    assert api.client.put("/api/v1/integrations/paypal", json={}, headers=api._headers(None)).status_code == 404
    marketer = api.post("/api/v1/keys", {"role": "marketer", "name": "m"}).json["key"]
    res = api.client.put("/api/v1/integrations/shopify", json={"secret": "x" * 20}, headers=api._headers(marketer))
    assert res.status_code == 403
    assert not any(i["connected"] for i in api.get("/api/v1/integrations").json["items"])


# --- Stripe ------------------------------------------------------------------------------

def checkout_session(click_id=None, amount=19900, currency="cny", pi="pi_3MtwBwLkdIwHu7ix28a3tqPa", **extra):
    return {"id": "cs_test_a1b2c3", "object": "checkout.session", "amount_total": amount, "currency": currency,
            "client_reference_id": click_id, "payment_intent": pi, "payment_status": "paid", "status": "complete",
            "created": stamp(), "customer": "cus_NffrFeUfNV2Hib",
            "customer_details": {"email": "buyer@example.com", "name": "Wang", "phone": None}, "metadata": {}, **extra}


def charge(amount_refunded, pi="pi_3MtwBwLkdIwHu7ix28a3tqPa", currency="cny"):
    return {"id": "ch_3MtwBwLkdIwHu7ix28a3tqPa", "object": "charge", "amount": 19900, "amount_captured": 19900,
            "amount_refunded": amount_refunded, "currency": currency, "payment_intent": pi, "refunded": False,
            "created": stamp(5)}


@pytest.fixture
def stripe_sender(world):
    sender = StripeSender()
    sender.url = connect(world, "stripe", {"secret": sender.secret})
    return sender


def test_stripe_checkout_with_the_click_as_client_reference_is_credited(app, world, stripe_sender):
    res = stripe_sender.send("checkout.session.completed", checkout_session(world["click_id"]))
    assert res.status_code == 200 and res.json() == {"received": True}
    [sale] = conversions(app)
    assert (sale.order_id, sale.amount_minor, sale.sharer_id) == ("pi_3MtwBwLkdIwHu7ix28a3tqPa", 19900,
                                                                  world["sharer"]["id"])


def test_stripe_signature_fails_closed(app, world, stripe_sender):
    obj = checkout_session(world["click_id"])
    assert stripe_sender.send("checkout.session.completed", obj, secret="whsec_other").status_code == 401
    stale = int(time.time()) - 301  # Stripe's default tolerance is five minutes
    assert stripe_sender.send("checkout.session.completed", obj, at=stale).status_code == 401
    res = stripe_sender.post_raw(b'{"type": "checkout.session.completed"}')
    assert res.status_code == 400  # signed, but not an event
    assert conversions(app) == []


def test_stripe_refunds_from_charge_totals_record_what_is_new_once(app, world, stripe_sender):
    assert stripe_sender.send("charge.refunded", charge(1000)).status_code == 200  # before the sale
    assert stripe_sender.send("checkout.session.completed", checkout_session(world["click_id"])).status_code == 200
    assert stripe_sender.send("charge.refunded", charge(3000)).status_code == 200
    for _ in range(2):  # redeliveries, also of the older total, change nothing
        assert stripe_sender.send("charge.refunded", charge(3000)).status_code == 200
        assert stripe_sender.send("charge.refunded", charge(1000)).status_code == 200
    refunds = [c.amount_minor for c in conversions(app) if c.type == "refund"]
    assert refunds == [1000, 2000]
    assert commissions(app) == [(1, 1990, 300)]


def test_stripe_listed_refunds_and_currency_mismatch(app, world, stripe_sender):
    assert stripe_sender.send("checkout.session.completed", checkout_session(world["click_id"])).status_code == 200
    listed = {**charge(1990), "refunds": {"object": "list", "data": [
        {"id": "re_1", "amount": 1990, "currency": "cny", "status": "succeeded", "created": stamp(5)}]}}
    assert stripe_sender.send("charge.refunded", listed).status_code == 200
    assert stripe_sender.send("charge.refunded", listed).status_code == 200
    assert commissions(app) == [(1, 1990, 199)]
    res = stripe_sender.send("charge.refunded", charge(5000, currency="usd"))
    assert res.status_code == 422
    assert [c.amount_minor for c in conversions(app) if c.type == "refund"] == [1990]


def test_stripe_unpaid_sessions_are_not_sales(app, world, stripe_sender):
    unpaid = checkout_session(world["click_id"], payment_status="unpaid")
    assert stripe_sender.send("checkout.session.completed", unpaid).status_code == 200
    assert conversions(app) == []


# --- WeChat Pay --------------------------------------------------------------------------

def wechat_transaction(attach, total=19900, out_trade_no="1217752501201407033233368018"):
    return {"appid": "wxd678efh567hg6787", "mchid": "1230000109", "out_trade_no": out_trade_no,
            "transaction_id": "1217752501201407033233368018", "trade_type": "JSAPI", "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功", "bank_type": "CMC", "attach": attach,
            "success_time": soon(), "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
            "amount": {"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"}}


def wechat_refund(refund=5000, out_refund_no="1217752501201407033233368019",
                  out_trade_no="1217752501201407033233368018"):
    return {"mchid": "1230000109", "out_trade_no": out_trade_no, "transaction_id": "1217752501201407033233368018",
            "out_refund_no": out_refund_no, "refund_id": "50000000382019052709732678859",
            "refund_status": "SUCCESS", "success_time": soon(3),
            "amount": {"total": 19900, "refund": refund, "payer_total": 19900, "payer_refund": refund},
            "user_received_account": "招商银行信用卡0403"}


@pytest.fixture
def wechat(world):
    sender = WeChatPaySender()
    sender.url = connect(world, "wechatpay", sender.settings())
    return sender


def test_wechat_pay_notification_with_the_click_in_attach_is_credited(app, world, wechat):
    res = wechat.send("TRANSACTION.SUCCESS", wechat_transaction(world["click_id"]))
    assert res.status_code == 204, res.text
    [sale] = conversions(app)
    assert (sale.amount_minor, sale.currency, sale.sharer_id) == (19900, "CNY", world["sharer"]["id"])
    assert wechat.send("TRANSACTION.SUCCESS", wechat_transaction(world["click_id"])).status_code == 204
    assert len(conversions(app)) == 1 and commissions(app) == [(1, 1990, 0)]


def test_wechat_pay_code_word_in_attach(app, world, wechat):
    attach = '{"code": "%s"}' % world["sharer"]["code"]
    assert wechat.send("TRANSACTION.SUCCESS", wechat_transaction(attach)).status_code == 204
    assert conversions(app)[0].attribution == "coupon"


def test_wechat_pay_signature_timestamp_and_key_fail_closed(app, world, wechat):
    tx = wechat_transaction(world["click_id"])
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    res = wechat.send("TRANSACTION.SUCCESS", tx, signer=impostor)
    assert res.status_code == 401 and res.json()["code"] == "FAIL"
    assert wechat.send("TRANSACTION.SUCCESS", tx, at=int(time.time()) - 301).status_code == 401
    res = wechat.send("TRANSACTION.SUCCESS", tx, apiv3_key="k" * 32)  # signed, but sealed with another key
    assert res.status_code == 400 and res.json()["code"] == "FAIL"
    assert conversions(app) == []


def test_wechat_pay_refund_before_and_after_its_payment(app, world, wechat):
    assert wechat.send("REFUND.SUCCESS", wechat_refund(5000)).status_code == 204
    assert wechat.send("TRANSACTION.SUCCESS", wechat_transaction(world["click_id"])).status_code == 204
    assert wechat.send("REFUND.SUCCESS", wechat_refund(5000, out_refund_no="R2")).status_code == 204
    assert wechat.send("REFUND.SUCCESS", wechat_refund(5000, out_refund_no="R2")).status_code == 204
    assert commissions(app) == [(1, 1990, 1000)]
    res = wechat.send("REFUND.SUCCESS", wechat_refund(10000, out_refund_no="R3"))  # more than is left
    assert res.status_code == 422 and commissions(app) == [(1, 1990, 1000)]
