"""Sharecast's own order webhook, for any shop: JSON signed per Standard Webhooks.

``POST`` the connected address with the ``webhook-id``, ``webhook-timestamp``
and ``webhook-signature`` headers (the ``standardwebhooks`` library signs and
checks them; five minutes' tolerance) and a body of

    {"type": "order.paid", "data": {"order_id", "amount", "currency"?,
        "click_id"? | "coupon"?, "customer": {"external_id", "email"?, "phone"?, "name"?, "ip"?},
        "occurred_at"?, "items"?}}
    {"type": "order.refunded", "data": {"order_id", "refund_id"?, "amount", "currency"?}}

``data`` is checked by the same rules as ``POST /api/v1/conversions``.
"""
from __future__ import annotations

import json
from datetime import datetime

from flask_babel import lazy_gettext as _l
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from integrations.base import BadPayload, BadSignature, OrderEvent, Reply
from integrations.timestamps import parse_time
from plumbing.signing import is_secret, new_secret

TYPES = {"order.paid": "sale", "order.refunded": "refund"}


class SignedOrders:
    name = "signed_orders"
    title = "Signed order webhook"
    fields = ("secret",)
    generated = ("secret",)
    labels = {"secret": _l("Signing secret")}
    long = ()

    def validate(self, settings: dict) -> dict:
        secret = str(settings.get("secret") or "").strip() or new_secret()
        if not is_secret(secret):
            raise ValueError({"secret": "a whsec_ secret (base64 after the prefix), or none to have one made"})
        return {"secret": secret}

    def verify(self, headers, body: bytes, settings: dict, now: datetime) -> None:
        try:
            Webhook(settings["secret"]).verify(body, {k.lower(): v for k, v in headers.items()})
        except WebhookVerificationError as exc:
            raise BadSignature(str(exc)) from None

    def events(self, headers, body: bytes, settings: dict) -> list[OrderEvent]:
        try:
            message = json.loads(body)
            kind, data = TYPES[message["type"]], message["data"]
            if not isinstance(data, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise BadPayload('not {"type": "order.paid"|"order.refunded", "data": {...}}') from None
        return [OrderEvent(
            type=kind, order_id=str(data.get("order_id") or ""), amount=data.get("amount"),
            currency=data.get("currency"), refund_id=data.get("refund_id") if kind == "refund" else None,
            click_id=data.get("click_id") if kind == "sale" else None,
            coupon=data.get("coupon") if kind == "sale" and not data.get("click_id") else None,
            customer=data.get("customer"), occurred_at=parse_time(data.get("occurred_at")),
            items=data.get("items") or [])]

    def accepted(self) -> Reply:
        return Reply(204)

    def refused(self, status: int, message: str) -> Reply:
        return Reply(status, json.dumps({"error": message}), "application/json")
