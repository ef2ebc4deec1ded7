"""Shopify order webhooks (``orders/paid``, ``orders/create``, ``refunds/create``).

Verification per shopify.dev "Deliver webhooks through HTTPS": the
``X-Shopify-Hmac-Sha256`` header is the base64 HMAC-SHA256 of the raw body
under the app's client secret (or, for a webhook made in the shop admin,
the secret shown under Settings → Notifications → Webhooks).
Attribution, first found wins: ``sc_click`` in ``landing_site``, a
``sc_click`` note attribute (the snippet's hidden field on the cart form), a
discount code equal to a sharer's code word. The buyer's IP (``browser_ip``, or
``client_details.browser_ip``) goes to the risk rules (only its prefix's hash is kept).
"""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from integrations.base import (
    BadPayload,
    OrderEvent,
    Reply,
    buyer_ip,
    click_id_in,
    click_id_in_url,
    code_word,
    money,
    order_line,
    signing_secret,
    verify_body_hmac,
)
from integrations.timestamps import parse_time

SALE_TOPICS = ("orders/paid", "orders/create")
REFUND_TOPIC = "refunds/create"


class Shopify:
    name = "shopify"
    title = "Shopify"
    fields = ("secret",)
    generated = ()
    labels = {"secret": _l("Signing secret")}
    long = ()

    def validate(self, settings: dict) -> dict:
        return signing_secret(settings, "the webhook signing secret from Shopify (8 to 200 characters)")

    def verify(self, headers, body: bytes, settings: dict, now: datetime) -> None:
        verify_body_hmac(headers.get("X-Shopify-Hmac-Sha256") or "", settings["secret"], body, "X-Shopify-Hmac-Sha256")

    def events(self, headers, body: bytes, settings: dict) -> list[OrderEvent]:
        topic = headers.get("X-Shopify-Topic") or ""
        payload = _json(body)
        if topic in SALE_TOPICS:
            if topic == "orders/create" and payload.get("financial_status") not in ("paid", None):
                return []  # an unpaid order is not a sale yet; orders/paid will come
            return [_sale(payload)]
        if topic == REFUND_TOPIC:
            return _refunds(payload)
        return []

    def accepted(self) -> Reply:
        return Reply(200)

    def refused(self, status: int, message: str) -> Reply:
        return Reply(status, message)


def _json(body: bytes) -> dict:
    try:
        payload = json.loads(body)
    except ValueError:
        raise BadPayload("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise BadPayload("the body is not a JSON object")
    return payload


def _sale(order: dict) -> OrderEvent:
    if order.get("id") in (None, ""):
        raise BadPayload("an order without an id")
    notes = {str(n.get("name")): n.get("value") for n in order.get("note_attributes") or [] if isinstance(n, dict)}
    click_id = click_id_in_url(order.get("landing_site")) or click_id_in(notes.get("sc_click"))
    codes = [str(d.get("code") or "").strip() for d in order.get("discount_codes") or [] if isinstance(d, dict)]
    coupon = next(filter(None, map(code_word, codes)), None)
    customer = order.get("customer") or {}
    name = " ".join(filter(None, (customer.get("first_name"), customer.get("last_name")))) or None
    customer_id = customer.get("id") or order.get("email") or f"order-{order['id']}"
    items = [line for line in map(_line, order.get("line_items") or []) if line]
    client = order.get("client_details") if isinstance(order.get("client_details"), dict) else {}
    return OrderEvent(
        type="sale", order_id=str(order["id"]), amount=money(order.get("total_price")),
        currency=str(order.get("currency") or "").upper(), click_id=click_id, coupon=coupon if not click_id else None,
        customer={"external_id": f"shopify:{customer_id}", "email": customer.get("email") or order.get("email"),
                  "phone": customer.get("phone") or order.get("phone"), "name": name,
                  "ip": buyer_ip(order.get("browser_ip"), client.get("browser_ip"))},
        occurred_at=parse_time(order.get("processed_at") or order.get("created_at")), items=items)


def _line(item) -> dict | None:
    """A line item as the conversion service takes it: its total is ``price`` (per unit, before
    discounts) times ``quantity``, less the discounts allocated to it."""
    if not isinstance(item, dict):
        return None
    try:
        unit = Decimal(money(item.get("price", "0")))
        allocations = item.get("discount_allocations")
        discount = (sum((Decimal(money(a.get("amount", "0"))) for a in allocations if isinstance(a, dict)), Decimal(0))
                    if isinstance(allocations, list) else Decimal(money(item.get("total_discount") or "0")))
        total = max(unit * item["quantity"] - discount, Decimal(0)) if isinstance(item.get("quantity"), int) else None
    except (KeyError, TypeError):
        return None
    return order_line(item.get("sku"), _stand_in(item), item.get("quantity"), format(total, "f")) \
        if total is not None else None


def _stand_in(line: dict) -> str:
    """What names a line the shop gave no SKU: its variant (or product, or line) id."""
    return f"shopify:variant:{line.get('variant_id') or line.get('product_id') or line.get('id')}"


def _refunds(refund: dict) -> list[OrderEvent]:
    """One refund event per successful refund transaction (a refund may pay back in several).

    A refund paid back in one transaction names its lines (``refund_line_items``: the order's
    line, the quantity, and ``subtotal``, after discounts and before tax, as the sale's lines
    were counted), when they add up to no more than what was paid back; otherwise it refunds
    the order as a whole.
    """
    if refund.get("id") in (None, "") or refund.get("order_id") in (None, ""):
        raise BadPayload("a refund without its id or order_id")
    events = []
    for tx in refund.get("transactions") or []:
        if not isinstance(tx, dict) or tx.get("kind") != "refund" or tx.get("status") != "success":
            continue
        events.append(OrderEvent(
            type="refund", order_id=str(refund["order_id"]), refund_id=f"{refund['id']}:{tx.get('id')}",
            amount=money(tx.get("amount")), currency=str(tx.get("currency") or "").upper(),
            occurred_at=parse_time(tx.get("processed_at") or refund.get("created_at"))))
    items = [line for line in map(_refund_line, refund.get("refund_line_items") or []) if line]
    if len(events) == 1 and items and sum(Decimal(i["amount"]) for i in items) <= Decimal(events[0].amount):
        events = [replace(events[0], items=items)]
    return events


def _refund_line(item) -> dict | None:
    """A refunded line as the conversion service takes it (named like the sale's line), or None."""
    if not isinstance(item, dict) or not isinstance(item.get("line_item"), dict):
        return None
    line, amount = item["line_item"], money(item.get("subtotal", "0"))
    if Decimal(amount) <= 0:
        return None
    return order_line(line.get("sku"), _stand_in(line), item.get("quantity"), amount, least=0)
