"""WooCommerce order webhooks (``order.created``, ``order.updated``).

Per the WooCommerce REST API docs ("Webhooks"): ``X-WC-Webhook-Signature``
is the base64 HMAC-SHA256 of the raw body under the webhook's secret. An
order counts as a sale once paid (``processing`` or ``completed``); each
entry of its ``refunds`` list is a refund. The snippet's click id reaches the
order as meta data (``sc_click`` or ``_sc_click``: the checkout form's hidden
field, saved by the shop); a coupon equal to a sharer's code word also attributes.
Line items go to the conversion service matched to catalogue products by SKU; a refund names
lines where its entry carries them (see :func:`_refund`). The buyer's ``customer_ip_address``
goes to the risk rules (only its prefix's hash is kept).
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
    code_word,
    money,
    order_line,
    signing_secret,
    verify_body_hmac,
)
from integrations.timestamps import parse_local

PAID = ("processing", "completed")


class WooCommerce:
    name = "woocommerce"
    title = "WooCommerce"
    fields = ("secret",)
    generated = ()
    labels = {"secret": _l("Signing secret")}
    long = ()

    def validate(self, settings: dict) -> dict:
        return signing_secret(settings, "the webhook's Secret from WooCommerce → Settings → Advanced → Webhooks")

    def verify(self, headers, body: bytes, settings: dict, now: datetime) -> None:
        verify_body_hmac(headers.get("X-WC-Webhook-Signature") or "", settings["secret"], body, "X-WC-Webhook-Signature")

    def events(self, headers, body: bytes, settings: dict) -> list[OrderEvent]:
        if (headers.get("X-WC-Webhook-Topic") or "") not in ("order.created", "order.updated"):
            return []  # among them the ping WooCommerce sends when the webhook is saved
        try:
            order = json.loads(body)
        except ValueError:
            raise BadPayload("the body is not JSON") from None
        if not isinstance(order, dict) or order.get("id") in (None, ""):
            raise BadPayload("not an order")
        if order.get("status") not in PAID:
            return []
        currency = str(order.get("currency") or "").upper() or None
        events = [_sale(order, currency)]
        for refund in order.get("refunds") or []:
            if isinstance(refund, dict) and refund.get("id") not in (None, ""):
                events.append(_refund(order, refund, currency))
        return events

    def accepted(self) -> Reply:
        return Reply(200)

    def refused(self, status: int, message: str) -> Reply:
        return Reply(status, message)


def _sale(order: dict, currency: str | None) -> OrderEvent:
    meta = {str(m.get("key")): m.get("value") for m in order.get("meta_data") or [] if isinstance(m, dict)}
    click_id = click_id_in(meta.get("sc_click")) or click_id_in(meta.get("_sc_click"))
    coupons = [c.get("code") for c in order.get("coupon_lines") or [] if isinstance(c, dict)]
    billing = order.get("billing") or {}
    who = order.get("customer_id") or billing.get("email") or f"order-{order['id']}"
    name = " ".join(filter(None, (billing.get("first_name"), billing.get("last_name")))) or None
    return OrderEvent(
        type="sale", order_id=str(order["id"]), amount=money(order.get("total")), currency=currency,
        click_id=click_id, coupon=None if click_id else next(filter(None, map(code_word, coupons)), None),
        customer={"external_id": f"woocommerce:{who}", "email": billing.get("email") or None,
                  "phone": billing.get("phone") or None, "name": name,
                  "ip": buyer_ip(order.get("customer_ip_address"))},
        occurred_at=parse_local(order.get("date_paid_gmt") or order.get("date_created_gmt"), "+00:00"),
        items=[line for line in map(_line, order.get("line_items") or []) if line])


def _refund(order: dict, refund: dict, currency: str | None) -> OrderEvent:
    """One entry of the order's ``refunds``: ``id``, ``reason`` and ``total`` (negative), as the order
    webhook carries it. Where the entry also carries the refund's ``line_items`` (as the order refunds
    API gives them: ``quantity`` and ``total``, after discounts and before tax, both negative; the
    shop adds them to the webhook with the ``woocommerce_webhook_payload`` filter), the refund names
    those lines, when they add up to no more than the refund; otherwise (or when a line's amount is
    malformed) it refunds the order as a whole. A bad line never refuses the delivery: WooCommerce
    lists every refund again on each ``order.updated`` and disables a webhook that keeps failing.
    """
    amount = money(str(refund.get("total", "")).lstrip("-"))
    event = OrderEvent(type="refund", order_id=str(order["id"]), refund_id=str(refund["id"]), amount=amount,
                       currency=currency)
    items = refund.get("line_items")
    try:
        items = [line for line in map(_refund_line, items) if line] if isinstance(items, list) else []
    except BadPayload:
        items = []
    if items and sum(Decimal(i["amount"]) for i in items) <= Decimal(amount):
        event = replace(event, items=items)
    return event


def _refund_line(item) -> dict | None:
    """A refunded line as the conversion service takes it (named like the sale's line), or None."""
    if not isinstance(item, dict) or isinstance(item.get("quantity"), bool) \
            or not isinstance(item.get("quantity"), int):
        return None
    amount = money(str(item.get("total") or "0").lstrip("-"))
    if Decimal(amount) <= 0:
        return None
    return order_line(item.get("sku"), _stand_in(item), abs(item["quantity"]), amount, least=0)


def _stand_in(item: dict) -> str:
    """What names a line the shop gave no SKU: its variation (or product, or line) id."""
    return f"woocommerce:product:{item.get('variation_id') or item.get('product_id') or item.get('id')}"


def _line(item) -> dict | None:
    """A line item as the conversion service takes it: ``total`` is the line's total after
    discounts, before tax; a product without a SKU is named by its product id."""
    if not isinstance(item, dict):
        return None
    return order_line(item.get("sku"), _stand_in(item), item.get("quantity"), money(item.get("total") or "0"))
