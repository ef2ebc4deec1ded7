"""WeChat Pay API v3 payment and refund notifications (支付通知, 退款结果通知).

Per pay.weixin.qq.com "签名验证" and "回调通知": the ``Wechatpay-Signature``
header is the base64 RSA-SHA256 (PKCS#1 v1.5) signature of
``"{Wechatpay-Timestamp}\\n{Wechatpay-Nonce}\\n{body}\\n"`` under the platform
certificate's key (or the newer 微信支付公钥), named by ``Wechatpay-Serial``;
the timestamp must be within five minutes. The ``resource`` is
AEAD_AES_256_GCM-encrypted with the merchant's APIv3 key (``nonce`` and
``associated_data`` given beside the ciphertext). Amounts are integer fen.
``attach`` carries the click id (or ``{"sc_click": ...}`` / ``{"code": ...}``,
or a sharer's code word).

Written with ``cryptography`` rather than the ``wechatpayv3`` SDK: the SDK's
client needs the merchant's own private key even to check a notification,
and Sharecast should never hold that key.
"""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timezone

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509 import load_pem_x509_certificate
from flask_babel import lazy_gettext as _l

from integrations.base import BadPayload, BadSignature, OrderEvent, Reply, click_id_in, code_word
from integrations.timestamps import parse_time
from plumbing.money import format_amount, is_currency

MAX_SKEW_SECONDS = 300


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """The platform's RSA key from a certificate or a public key PEM. :raise ValueError: neither."""
    data = pem.strip().encode()
    key = load_pem_x509_certificate(data).public_key() if b"CERTIFICATE" in data \
        else serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA key")
    return key


class WeChatPay:
    name = "wechatpay"
    title = "WeChat Pay"
    fields = ("apiv3_key", "platform_key", "serial")
    generated = ()
    labels = {"apiv3_key": _l("APIv3 key"),
              "platform_key": _l("Platform certificate or WeChat Pay public key (PEM)"),
              "serial": _l("Certificate serial number or public key ID")}
    long = ("platform_key",)

    def validate(self, settings: dict) -> dict:
        errors = {}
        apiv3_key = str(settings.get("apiv3_key") or "")
        if len(apiv3_key.encode()) != 32:
            errors["apiv3_key"] = "the 32-character APIv3 key (商户平台 → API安全 → APIv3密钥)"
        platform_key = str(settings.get("platform_key") or "")
        try:
            load_public_key(platform_key)
        except ValueError:
            errors["platform_key"] = "the platform certificate or WeChat Pay public key, PEM"
        serial = str(settings.get("serial") or "").strip()
        if not serial or len(serial) > 100:
            errors["serial"] = "the certificate serial number or public key ID (PUB_KEY_ID_...)"
        if errors:
            raise ValueError(errors)
        return {"apiv3_key": apiv3_key, "platform_key": platform_key.strip(), "serial": serial}

    def verify(self, headers, body: bytes, settings: dict, now: datetime) -> None:
        timestamp, nonce = headers.get("Wechatpay-Timestamp") or "", headers.get("Wechatpay-Nonce") or ""
        if (headers.get("Wechatpay-Serial") or "").upper() != settings["serial"].upper():
            raise BadSignature("Wechatpay-Serial names another key")
        try:
            sent = datetime.fromtimestamp(int(timestamp), tz=timezone.utc)
            signature = base64.b64decode(headers.get("Wechatpay-Signature") or "", validate=True)
        except (ValueError, OverflowError, binascii.Error):
            raise BadSignature("bad Wechatpay-Timestamp or Wechatpay-Signature") from None
        if abs((now - sent).total_seconds()) > MAX_SKEW_SECONDS:
            raise BadSignature("Wechatpay-Timestamp is more than five minutes off")
        message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
        try:
            load_public_key(settings["platform_key"]).verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise BadSignature("Wechatpay-Signature does not match") from None

    def events(self, headers, body: bytes, settings: dict) -> list[OrderEvent]:
        try:
            notice = json.loads(body)
            kind, resource = notice["event_type"], notice["resource"]
        except (ValueError, KeyError, TypeError):
            raise BadPayload("not a WeChat Pay notification") from None
        if kind not in ("TRANSACTION.SUCCESS", "REFUND.SUCCESS"):
            return []
        plain = decrypt_resource(resource, settings["apiv3_key"])
        return [_sale(plain)] if kind == "TRANSACTION.SUCCESS" else [_refund(plain)]

    def accepted(self) -> Reply:
        return Reply(204)

    def refused(self, status: int, message: str) -> Reply:
        return Reply(status, json.dumps({"code": "FAIL", "message": message}, ensure_ascii=False), "application/json")


def decrypt_resource(resource: dict, apiv3_key: str) -> dict:
    """The notification's plaintext. :raise BadPayload: another algorithm, or it does not decrypt."""
    if not isinstance(resource, dict) or resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise BadPayload("the resource is not AEAD_AES_256_GCM")
    try:
        plain = AESGCM(apiv3_key.encode()).decrypt(
            str(resource["nonce"]).encode(), base64.b64decode(resource["ciphertext"]),
            str(resource.get("associated_data") or "").encode() or None)
        return json.loads(plain)
    except (KeyError, ValueError, InvalidTag, binascii.Error):
        raise BadPayload("the resource does not decrypt with the APIv3 key") from None


def _fen(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadPayload(f"not an amount in fen: {value!r}")
    return value


def _evidence(attach: str) -> tuple[str | None, str | None]:
    """(click id, code word) from ``attach``."""
    attach = (attach or "").strip()
    try:
        data = json.loads(attach) if attach.startswith("{") else {}
    except ValueError:
        data = {}
    if isinstance(data, dict) and data:
        return click_id_in(data.get("sc_click")), (str(data.get("code") or "").strip().upper() or None)
    if click_id_in(attach):
        return click_id_in(attach), None
    return None, code_word(attach)


def _sale(tx: dict) -> OrderEvent:
    if tx.get("trade_state") != "SUCCESS" or not tx.get("out_trade_no"):
        raise BadPayload("not a successful transaction")
    amount = tx.get("amount") or {}
    currency = str(amount.get("currency") or "CNY").upper()
    if not is_currency(currency):
        raise BadPayload(f"unknown currency {currency!r}")
    click_id, code = _evidence(str(tx.get("attach") or ""))
    openid = (tx.get("payer") or {}).get("openid") or tx["out_trade_no"]
    return OrderEvent(type="sale", order_id=str(tx["out_trade_no"]),
                      amount=format_amount(_fen(amount.get("total")), currency), currency=currency,
                      click_id=click_id, coupon=None if click_id else code,
                      customer={"external_id": f"wechat:{openid}"},
                      occurred_at=parse_time(tx.get("success_time")))


def _refund(refund: dict) -> OrderEvent:
    if refund.get("refund_status") != "SUCCESS" or not refund.get("out_trade_no") or not refund.get("out_refund_no"):
        raise BadPayload("not a successful refund")
    amount = refund.get("amount") or {}
    currency = str(amount.get("currency") or "CNY").upper()  # refund notices give no currency: fen of CNY
    return OrderEvent(type="refund", order_id=str(refund["out_trade_no"]), refund_id=str(refund["out_refund_no"]),
                      amount=format_amount(_fen(amount.get("refund")), currency), currency=currency,
                      occurred_at=parse_time(refund.get("success_time")))
