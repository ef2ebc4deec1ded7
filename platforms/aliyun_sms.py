"""Aliyun SMS (dysmsapi, version 2017-05-25) ``SendSms``, RPC style with signature version 1.0.

From Aliyun's SendSms and "signature mechanism" documentation: the request is a
GET whose query holds the common parameters (``AccessKeyId``, ``Action``,
``Format``, ``RegionId``, ``SignatureMethod=HMAC-SHA1``, ``SignatureNonce``,
``SignatureVersion=1.0``, ``Timestamp`` in UTC ISO-8601, ``Version``) and the
action's (``PhoneNumbers``, ``SignName``, ``TemplateCode``, ``TemplateParam``).
``StringToSign = "GET&%2F&" + percent(sorted canonical query)``, each name and
value percent-encoded per RFC 3986 (space ``%20``, ``*`` ``%2A``, ``~`` kept);
``Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))``.
The answer is ``{"Code": "OK", "Message", "RequestId", "BizId"}``, any other
``Code`` an error (e.g. ``isv.BUSINESS_LIMIT_CONTROL``, ``SignatureDoesNotMatch``).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timezone
from urllib.parse import quote

import httpx

from platforms.sms import SmsError, SmsSettings, json_answer

ENDPOINT = "https://dysmsapi.aliyuncs.com/"
# Throttling and provider-side trouble are worth another try later; the rest is configuration.
RETRYABLE = {"isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "ServiceUnavailable", "InternalError"}


def percent(value: str) -> str:
    """RFC 3986 percent-encoding as Aliyun's POP signature wants it."""
    return quote(value, safe="-_.~")


def string_to_sign(params: dict[str, str], method: str = "GET") -> str:
    canonical = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()) if k != "Signature")
    return f"{method}&{percent('/')}&{percent(canonical)}"


def rpc_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """The ``Signature`` of an RPC request (HMAC-SHA1, base64)."""
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(params, method).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def aliyun_number(phone: str) -> str:
    """SendSms wants mainland numbers bare (11 digits) and others with their country code, no ``+``."""
    digits = phone.lstrip("+")
    return digits[2:] if phone.startswith("+86") else digits


class AliyunSms:
    name = "aliyun"

    def request_params(self, phone: str, code: str, settings: SmsSettings, now: datetime | None = None,
                       nonce: str | None = None) -> dict[str, str]:
        """The signed query of one SendSms call."""
        now = now or datetime.now(timezone.utc)
        params = {
            "AccessKeyId": settings.access_key_id, "Action": "SendSms", "Format": "JSON",
            "RegionId": settings.region or "cn-hangzhou", "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex, "SignatureVersion": "1.0",
            "Timestamp": now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": "2017-05-25",
            "PhoneNumbers": aliyun_number(phone), "SignName": settings.sign_name,
            "TemplateCode": settings.template, "TemplateParam": json.dumps({"code": code}, separators=(",", ":")),
        }
        params["Signature"] = rpc_signature(params, settings.access_key_secret)
        return params

    def send_code(self, phone: str, code: str, settings: SmsSettings, client: httpx.Client) -> str:
        params = self.request_params(phone, code, settings)
        try:
            response = client.get(settings.endpoint or ENDPOINT, params=params)
        except httpx.HTTPError as exc:
            raise SmsError("unreachable", str(exc), retryable=True) from None
        body = json_answer(response)
        if body.get("Code") != "OK":
            code_ = str(body.get("Code") or f"http_{response.status_code}")
            raise SmsError(code_, str(body.get("Message") or ""),
                           retryable=code_ in RETRYABLE or response.status_code >= 500)
        return str(body.get("BizId") or body.get("RequestId") or "")
