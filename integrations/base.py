"""What every integration adapter provides, and the plain values it hands back.

An adapter is pure: bytes and headers in, ``OrderEvent`` values out. It never
touches the database or the network, so each is tested against the platform's
documented payloads and signatures alone.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

CLICK_ID = re.compile(r"^[0-9a-f]{21}$")


class BadSignature(Exception):
    """The notification is not from the platform (or was altered, or is too old): answer 401."""


class BadPayload(Exception):
    """Signed, but not a notification we can read: answer 400."""


@dataclass(frozen=True)
class OrderEvent:
    """One sale or refund, shaped like the body of ``POST /api/v1/conversions``."""

    type: str  # "sale" | "refund"
    order_id: str
    amount: str  # decimal string in the currency's major unit
    currency: str | None  # None: the campaign's (or the sale's) currency
    refund_id: str | None = None
    click_id: str | None = None
    coupon: str | None = None
    customer: dict | None = None
    occurred_at: datetime | None = None
    # A sale's lines as ``POST /api/v1/conversions`` takes them (``sku``, ``quantity``, ``amount``):
    # each is matched to a catalogue product by SKU and paid by its rule. A refund's: the lines it
    # names, each giving back its own commission.
    items: list[dict] = field(default_factory=list)
    # A refund whose amount is the order's refunded total so far (Stripe's charge.refunded
    # without its refund list): the inbound service records only what is new.
    cumulative: bool = False

    def conversion(self) -> dict:
        """The ``POST /api/v1/conversions`` body."""
        body = {"type": self.type, "order_id": self.order_id, "amount": self.amount}
        if self.currency:
            body["currency"] = self.currency
        if self.refund_id:
            body["refund_id"] = self.refund_id
        if self.type == "sale":
            body["customer"] = self.customer
            if self.click_id:
                body["click_id"] = self.click_id
            elif self.coupon:
                body["coupon"] = self.coupon
        if self.items:
            body["items"] = self.items
        if self.occurred_at:
            body["occurred_at"] = self.occurred_at.isoformat()
        return body


@dataclass(frozen=True)
class Reply:
    """What the platform expects back."""

    status: int
    body: str = ""
    content_type: str = "text/plain"


class Adapter(Protocol):
    name: str
    title: str
    # Settings the owner pastes from the platform (all secret).
    fields: tuple[str, ...]
    # Settings Sharecast makes when they are not given, shown once (e.g. a signing secret).
    generated: tuple[str, ...]
    # What the console calls each setting (lazy translations), and those pasted as several lines (PEM keys).
    labels: Mapping[str, str]
    long: tuple[str, ...]

    def validate(self, settings: dict) -> dict:
        """Clean settings. :raise ValueError: with ``{field: message}`` as its argument."""

    def verify(self, headers: dict, body: bytes, settings: dict, now: datetime) -> None:
        """:raise BadSignature: not from the platform."""

    def events(self, headers: dict, body: bytes, settings: dict) -> list[OrderEvent]:
        """The sales and refunds a verified notification reports (none for other topics).

        :raise BadPayload: unreadable.
        """

    def accepted(self) -> Reply: ...

    def refused(self, status: int, message: str) -> Reply: ...


def click_id_in_url(url: str | None) -> str | None:
    """The ``sc_click`` a landing URL (absolute or a path) carries, when it is a real click id."""
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get("sc_click") or []
    return values[0].lower() if values and CLICK_ID.match(values[0].lower()) else None


# A platform's amount as its JSON carries it: ASCII digits, at most one point, no exponent; 15
# digits before the point and 10 after are far beyond any order and keep Decimal's work bounded.
_AMOUNT = re.compile(r"[0-9]{1,15}(?:\.[0-9]{0,10})?\Z")


def money(value) -> str:
    """A platform's decimal amount (string or number) as a plain decimal string.

    :raise BadPayload: not a non-negative decimal in ASCII digits (no exponent, no other
        script's digits, which ``Decimal`` would take).
    """
    text = str(value).strip()
    if isinstance(value, bool) or not _AMOUNT.match(text):
        raise BadPayload(f"not an amount: {str(value)[:40]!r}")
    return format(Decimal(text), "f")


def order_line(sku, stand_in: str, quantity, amount, least: int = 1) -> dict | None:
    """One order line as the conversion service takes it, or None for a line that sold nothing
    (fewer than ``least`` units: a refunded line may give money back with no goods returned).

    ``stand_in`` names a line the shop gave no SKU (the platform's product id, say):
    it matches no catalogue product, so the line is paid by the campaign's rule and
    flagged ``unknown_sku``, for the brand to give the product its SKU.
    """
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < least:
        return None
    sku = "".join(c for c in str(sku or "") if c.isprintable()).strip()[:64]
    return {"sku": sku or stand_in[:64], "quantity": quantity, "amount": amount}


def code_word(value) -> str | None:
    """A sharer's code word as a coupon would carry it, or None when it cannot be one."""
    value = str(value or "").strip()
    return value.upper() if value and value.isascii() and value.isalnum() and len(value) <= 32 else None


def buyer_ip(*values) -> str | None:
    """The first of ``values`` that is an IP address (the buyer's, as the platform reports it), else
    None: an address the platform garbled costs the risk rule one order, never the sale."""
    for value in values:
        text = str(value or "").strip()
        try:
            ipaddress.ip_address(text)
        except ValueError:
            continue
        return text
    return None


def click_id_in(value) -> str | None:
    value = str(value or "").strip().lower()
    return value if CLICK_ID.match(value) else None


def signing_secret(settings: dict, hint: str) -> dict:
    """A platform's webhook signing secret as pasted (8 to 200 characters once trimmed).

    :raise ValueError: with ``hint``, where to find it, for the form and the API.
    """
    secret = str(settings.get("secret") or "").strip()
    if not 8 <= len(secret) <= 200:
        raise ValueError({"secret": hint})
    return {"secret": secret}


def verify_body_hmac(given: str, secret: str, body: bytes, header: str) -> None:
    """The base64 HMAC-SHA256 of the raw body under the secret, as Shopify and WooCommerce sign.

    :raise BadSignature: ``given`` (the ``header``'s value) is not it.
    """
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise BadSignature(f"{header} does not match the body")
