"""Alipay asynchronous notifications (异步通知) for 电脑网站/手机网站/APP payments, RSA2.

Per opendocs.alipay.com "异步通知验签": drop ``sign`` and ``sign_type``, sort
the remaining parameters by name, join the non-empty ones as ``k=v`` with
``&`` (values URL-decoded), and check ``sign`` (base64) as RSA-SHA256
(PKCS#1 v1.5) under the Alipay public key. ``app_id`` must be ours. The
answer is the text ``success`` (anything else and Alipay retries).
``total_amount`` and ``refund_fee`` are yuan; ``refund_fee`` is the refunded
total so far. ``passback_params`` (URL-encoded) carries the click id, as
``sc_click=...`` or alone, or a sharer's code word as ``code=...``.

Written with ``cryptography`` rather than an Alipay SDK: the SDKs' clients
need the merchant's app private key even to verify, which Sharecast should never hold.
"""
from __future__ import annotations

import base64
import binascii
from datetime import datetime
from urllib.parse import parse_qs, parse_qsl, unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from flask_babel import lazy_gettext as _l

from integrations.base import BadPayload, BadSignature, OrderEvent, Reply, click_id_in, code_word, money
from integrations.timestamps import parse_local

PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")


def load_alipay_key(text: str) -> rsa.RSAPublicKey:
    """The Alipay public key, as PEM or as the bare base64 the console shows. :raise ValueError: not one."""
    text = text.strip()
    if not text.startswith("-----"):
        text = "-----BEGIN PUBLIC KEY-----\n" + text + "\n-----END PUBLIC KEY-----"
    key = serialization.load_pem_public_key(text.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA key")
    return key


def signed_content(params: dict[str, str]) -> bytes:
    """The string Alipay signs: every parameter but ``sign`` and ``sign_type``, sorted, non-empty."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params)
                    if k not in ("sign", "sign_type") and params[k] != "").encode()


def _params(body: bytes) -> dict[str, str]:
    raw = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
    charset = dict(raw).get("charset", "utf-8")
    try:
        return {k: v for k, v in parse_qsl(body.decode("ascii"), keep_blank_values=True, encoding=charset,
                                           errors="strict")}
    except (UnicodeError, LookupError):
        raise BadPayload("the parameters are not in their stated charset") from None


class Alipay:
    name = "alipay"
    title = "Alipay"
    fields = ("app_id", "alipay_public_key")
    generated = ()
    labels = {"app_id": _l("APPID"), "alipay_public_key": _l("Alipay public key")}
    long = ("alipay_public_key",)

    def validate(self, settings: dict) -> dict:
        errors = {}
        app_id = str(settings.get("app_id") or "").strip()
        if not app_id.isdigit() or len(app_id) > 32:
            errors["app_id"] = "your application's APPID (digits)"
        key = str(settings.get("alipay_public_key") or "")
        try:
            load_alipay_key(key)
        except ValueError:
            errors["alipay_public_key"] = "the Alipay public key (支付宝公钥), PEM or base64"
        if errors:
            raise ValueError(errors)
        return {"app_id": app_id, "alipay_public_key": key.strip()}

    def verify(self, headers, body: bytes, settings: dict, now: datetime) -> None:
        try:
            params = _params(body)
        except BadPayload as exc:
            raise BadSignature(str(exc)) from None
        if params.get("sign_type", "RSA2") != "RSA2":
            raise BadSignature("only RSA2 notifications are taken")
        if params.get("app_id") != settings["app_id"]:
            raise BadSignature("app_id is not this application's")
        try:
            signature = base64.b64decode(params.get("sign", ""), validate=True)
            load_alipay_key(settings["alipay_public_key"]).verify(
                signature, signed_content(params), padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, binascii.Error, ValueError):
            raise BadSignature("sign does not match") from None

    def events(self, headers, body: bytes, settings: dict) -> list[OrderEvent]:
        p = _params(body)
        order_id, status = p.get("out_trade_no"), p.get("trade_status")
        if not order_id:
            raise BadPayload("a notification without out_trade_no")
        if p.get("refund_fee") not in (None, "") and status in (*PAID, "TRADE_CLOSED"):
            total = money(p["refund_fee"])
            return [OrderEvent(type="refund", order_id=order_id, refund_id=f"{p.get('trade_no')}:total:{total}",
                               amount=total, currency="CNY", cumulative=True,
                               occurred_at=parse_local(p.get("gmt_refund", "").split(".")[0], "+08:00"))]
        if status not in PAID:
            return []
        passback = unquote(p.get("passback_params", ""))  # the merchant URL-encoded it when paying
        extra = {k: v[0] for k, v in parse_qs(passback).items()}
        click_id = click_id_in(extra.get("sc_click")) or click_id_in(passback)
        buyer = p.get("buyer_open_id") or p.get("buyer_id") or order_id
        return [OrderEvent(type="sale", order_id=order_id, amount=money(p.get("total_amount")), currency="CNY",
                           click_id=click_id, coupon=None if click_id else code_word(extra.get("code")),
                           customer={"external_id": f"alipay:{buyer}"},
                           occurred_at=parse_local(p.get("gmt_payment"), "+08:00"))]

    def accepted(self) -> Reply:
        return Reply(200, "success")

    def refused(self, status: int, message: str) -> Reply:
        return Reply(status, "fail")
