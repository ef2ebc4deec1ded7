"""Stripe: ``checkout.session.completed`` (and ``...async_payment_succeeded``) as sales,
``charge.refunded`` as refunds (subscribe to that one refund event only).

The ``Stripe-Signature`` header (``t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">``)
is checked by the ``stripe`` library's own verifier with Stripe's default
five-minute tolerance, so the scheme is exactly Stripe's. An order is the
PaymentIntent (what refunds name); a session without one (``mode=subscription``
and such) is keyed by its own id. Attribution: ``client_reference_id`` or
``metadata.sc_click`` carry the click id, ``metadata.sc_code`` a sharer's code word.
When the session carries its ``line_items``, they go to the conversion service by SKU.
"""
from __future__ import annotations

import json
from datetime import datetime

import stripe
from flask_babel import lazy_gettext as _l

from integrations.base import BadPayload, BadSignature, OrderEvent, Reply, click_id_in, order_line
from integrations.timestamps import from_unix
from plumbing.money import format_amount, is_currency

TOLERANCE_SECONDS = 300
SALE_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


class StripeCheckout:
    name = "stripe"
    title = "Stripe"
    fields = ("secret",)
    generated = ()
    labels = {"secret": _l("Signing secret")}
    long = ()

    def validate(self, settings: dict) -> dict:
        secret = str(settings.get("secret") or "").strip()
        if not secret.startswith("whsec_") or len(secret) > 200:
            raise ValueError({"secret": "the endpoint's signing secret from Stripe (whsec_...)"})
        return {"secret": secret}

    def verify(self, headers, body: bytes, settings: dict, now: datetime) -> None:
        try:
            stripe.WebhookSignature.verify_header(body, headers.get("Stripe-Signature"), settings["secret"],
                                                  TOLERANCE_SECONDS)
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
            raise BadSignature(str(exc).split(";")[0]) from None

    def events(self, headers, body: bytes, settings: dict) -> list[OrderEvent]:
        try:
            event = json.loads(body)
            kind, obj = event["type"], event["data"]["object"]
        except (ValueError, KeyError, TypeError):
            raise BadPayload("not a Stripe event") from None
        if not isinstance(obj, dict):
            raise BadPayload("not a Stripe event")
        if kind in SALE_EVENTS:
            return [_sale(obj)] if obj.get("payment_status") == "paid" else []
        if kind == "charge.refunded":
            return _charge_refunds(obj)
        return []

    def accepted(self) -> Reply:
        return Reply(200, '{"received": true}', "application/json")

    def refused(self, status: int, message: str) -> Reply:
        return Reply(status, json.dumps({"error": message}), "application/json")


def _currency(value) -> str:
    currency = str(value or "").upper()
    if not is_currency(currency):
        raise BadPayload(f"unknown currency {value!r}")
    return currency


def _minor(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadPayload(f"not an amount in minor units: {value!r}")
    return value


def _sale(session: dict) -> OrderEvent:
    order_id = session.get("payment_intent") or session.get("id")
    if not order_id:
        raise BadPayload("a session without an id")
    currency = _currency(session.get("currency"))
    metadata = session.get("metadata") or {}
    click_id = click_id_in(session.get("client_reference_id")) or click_id_in(metadata.get("sc_click"))
    code = str(metadata.get("sc_code") or "").strip().upper() or None
    details = session.get("customer_details") or {}
    who = session.get("customer") or details.get("email") or session.get("id")
    return OrderEvent(
        type="sale", order_id=str(order_id), amount=format_amount(_minor(session.get("amount_total")), currency),
        currency=currency, click_id=click_id, coupon=None if click_id else code,
        customer={"external_id": f"stripe:{who}", "email": details.get("email"), "phone": details.get("phone"),
                  "name": details.get("name")},
        occurred_at=from_unix(session.get("created")), items=_lines(session.get("line_items"), currency))


def _lines(listed, currency: str) -> list[dict]:
    """The session's line items when the event carries them (``line_items`` is expandable, so
    only an event your own code re-sends with it expanded does): each line's total after
    discounts, before tax, under its SKU: the ``sku`` metadata of its product (when expanded)
    or price, else the price's ``lookup_key``, else the product's id."""
    lines = []
    for item in (listed.get("data") or []) if isinstance(listed, dict) else []:
        if not isinstance(item, dict) or not isinstance(item.get("price"), dict):
            continue
        price = item["price"]
        product = price.get("product")
        product_meta = (product.get("metadata") or {}) if isinstance(product, dict) else {}
        product_id = product.get("id") if isinstance(product, dict) else product
        sku = product_meta.get("sku") or (price.get("metadata") or {}).get("sku") or price.get("lookup_key")
        total = _minor(item.get("amount_subtotal")) - _minor(item.get("amount_discount") or 0)
        line = order_line(sku, f"stripe:{product_id or price.get('id')}", item.get("quantity"),
                          format_amount(max(total, 0), currency))
        if line:
            lines.append(line)
    return lines


def _refund(refund: dict, order_id, currency) -> OrderEvent:
    if not refund.get("id") or not order_id:
        raise BadPayload("a refund without its id or payment_intent")
    currency = _currency(refund.get("currency") or currency)
    return OrderEvent(type="refund", order_id=str(order_id), refund_id=str(refund["id"]),
                      amount=format_amount(_minor(refund.get("amount")), currency), currency=currency,
                      occurred_at=from_unix(refund.get("created")))


def _charge_refunds(charge: dict) -> list[OrderEvent]:
    """Each refund listed on the charge; without the list (API versions since 2022-11-15 leave
    it out), the charge's refunded total, recorded as what is new since the last one."""
    order_id = charge.get("payment_intent") or charge.get("id")
    listed = (charge.get("refunds") or {}).get("data")
    if listed:
        return [_refund(r, order_id, charge.get("currency")) for r in listed
                if isinstance(r, dict) and r.get("status") in ("succeeded", "pending")]
    currency = _currency(charge.get("currency"))
    total = _minor(charge.get("amount_refunded"))
    if not total:
        return []
    return [OrderEvent(type="refund", order_id=str(order_id), refund_id=f"{charge.get('id')}:total:{total}",
                       amount=format_amount(total, currency), currency=currency, cumulative=True,
                       occurred_at=from_unix(charge.get("created")))]
