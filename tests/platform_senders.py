"""Fake senders for the integration tests: each signs and shapes its notifications as the
platform's documentation says, with keys the test makes. They post over real HTTP."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def post(url: str, body: bytes, headers: dict) -> httpx.Response:
    return httpx.post(url, content=body, headers=headers, timeout=60)


class ShopifySender:
    """shopify.dev: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(secret, raw body))."""

    def __init__(self):
        self.secret = secrets.token_hex(32)
        self.url = ""

    def send(self, topic: str, payload: dict, secret: str | None = None) -> httpx.Response:
        body = json.dumps(payload).encode()
        digest = hmac.new((secret or self.secret).encode(), body, hashlib.sha256).digest()
        return post(self.url, body, {
            "Content-Type": "application/json", "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": base64.b64encode(digest).decode(),
            "X-Shopify-Shop-Domain": "acme-tea.myshopify.com", "X-Shopify-Webhook-Id": secrets.token_hex(8),
            "X-Shopify-API-Version": "2025-10"})


class StripeSender:
    """docs.stripe.com/webhooks: Stripe-Signature: t=<unix>,v1=hex(HMAC-SHA256(secret, "<t>.<body>"))."""

    def __init__(self):
        self.secret = "whsec_" + secrets.token_urlsafe(24)
        self.url = ""

    def send(self, event_type: str, obj: dict, at: int | None = None, secret: str | None = None,
             event_id: str | None = None) -> httpx.Response:
        body = json.dumps({"id": event_id or "evt_" + secrets.token_hex(8), "object": "event",
                           "api_version": "2025-10-29.clover", "type": event_type,
                           "data": {"object": obj}, "livemode": False}).encode()
        return self.post_raw(body, at, secret)

    def post_raw(self, body: bytes, at: int | None = None, secret: str | None = None) -> httpx.Response:
        t = at if at is not None else int(time.time())
        v1 = hmac.new((secret or self.secret).encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        return post(self.url, body, {"Content-Type": "application/json", "Stripe-Signature": f"t={t},v1={v1}"})


class WeChatPaySender:
    """pay.weixin.qq.com APIv3: RSA-SHA256 over "ts\\nnonce\\nbody\\n", resource in AEAD_AES_256_GCM."""

    def __init__(self):
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        self.apiv3_key = secrets.token_hex(16)  # 32 characters
        self.serial = "PUB_KEY_ID_" + secrets.token_hex(12).upper()
        self.url = ""

    def settings(self) -> dict:
        return {"apiv3_key": self.apiv3_key, "platform_key": self.public_pem, "serial": self.serial}

    def send(self, event_type: str, plain: dict, at: int | None = None, apiv3_key: str | None = None,
             signer=None) -> httpx.Response:
        nonce = secrets.token_hex(6)
        associated = "transaction" if event_type.startswith("TRANSACTION") else "refund"
        ciphertext = AESGCM((apiv3_key or self.apiv3_key).encode()).encrypt(
            nonce.encode(), json.dumps(plain, ensure_ascii=False).encode(), associated.encode())
        body = json.dumps({
            "id": secrets.token_hex(16), "create_time": "2026-11-30T12:00:00+08:00", "resource_type": "encrypt-resource",
            "event_type": event_type, "summary": "支付成功",
            "resource": {"original_type": associated, "algorithm": "AEAD_AES_256_GCM",
                         "ciphertext": base64.b64encode(ciphertext).decode(), "associated_data": associated,
                         "nonce": nonce}}, ensure_ascii=False).encode()
        ts, sign_nonce = str(at if at is not None else int(time.time())), secrets.token_hex(16)
        message = f"{ts}\n{sign_nonce}\n".encode() + body + b"\n"
        signature = (signer or self.private_key).sign(message, padding.PKCS1v15(), hashes.SHA256())
        return post(self.url, body, {
            "Content-Type": "application/json", "Wechatpay-Timestamp": ts, "Wechatpay-Nonce": sign_nonce,
            "Wechatpay-Serial": self.serial, "Wechatpay-Signature": base64.b64encode(signature).decode(),
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"})


class WooCommerceSender:
    """woocommerce.github.io REST API docs: X-WC-Webhook-Signature = base64(HMAC-SHA256(secret, body))."""

    def __init__(self):
        self.secret = secrets.token_urlsafe(24)
        self.url = ""

    def send(self, topic: str, payload, secret: str | None = None) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        digest = hmac.new((secret or self.secret).encode(), body, hashlib.sha256).digest()
        return post(self.url, body, {
            "Content-Type": "application/json", "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Signature": base64.b64encode(digest).decode(), "X-WC-Webhook-ID": "7",
            "X-WC-Webhook-Delivery-ID": secrets.token_hex(8), "X-WC-Webhook-Source": "https://shop.example/"})


class AlipaySender:
    """opendocs.alipay.com 异步通知: form-encoded, RSA2 over the sorted non-empty parameters."""

    def __init__(self):
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        der = self.private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
        self.public_key = base64.b64encode(der).decode()  # as the Alipay console shows it: bare base64
        self.app_id = "2021000117650139"
        self.url = ""

    def send(self, params: dict, signer=None, tamper: dict | None = None) -> httpx.Response:
        from urllib.parse import urlencode

        params = {"notify_time": "2026-11-30 20:00:01", "notify_type": "trade_status_sync",
                  "notify_id": secrets.token_hex(16), "app_id": self.app_id, "charset": "utf-8", "version": "1.0",
                  "sign_type": "RSA2", **params}
        content = "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in ("sign", "sign_type")
                           and params[k] != "")
        signature = (signer or self.private_key).sign(content.encode(), padding.PKCS1v15(), hashes.SHA256())
        params["sign"] = base64.b64encode(signature).decode()
        params.update(tamper or {})
        return post(self.url, urlencode(params).encode(),
                    {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})


class SignedOrdersSender:
    """Standard Webhooks, signed with the standardwebhooks library."""

    def __init__(self):
        self.secret = ""
        self.url = ""

    def send(self, payload: dict, secret: str | None = None, at=None) -> httpx.Response:
        from datetime import datetime, timezone

        from standardwebhooks import Webhook

        body = json.dumps(payload)
        when = at or datetime.now(timezone.utc)
        message_id = "msg_" + secrets.token_hex(8)
        return post(self.url, body.encode(), {
            "Content-Type": "application/json", "webhook-id": message_id,
            "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": Webhook(secret or self.secret).sign(message_id, when, body)})
