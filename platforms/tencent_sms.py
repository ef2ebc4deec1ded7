"""Tencent Cloud SMS (version 2021-01-11) ``SendSms``, signed with TC3-HMAC-SHA256.

From Tencent Cloud's "Signature v3" and SendSms documentation: a POST of JSON to
``sms.tencentcloudapi.com`` with headers ``X-TC-Action``, ``X-TC-Version``,
``X-TC-Timestamp``, ``X-TC-Region`` and ``Authorization``::

    CanonicalRequest = "POST\\n/\\n\\n" + "content-type:application/json; charset=utf-8\\n"
                       + "host:<host>\\n" + "x-tc-action:<action lowercased>\\n\\n"
                       + "content-type;host;x-tc-action\\n" + hex(sha256(payload))
    StringToSign     = "TC3-HMAC-SHA256\\n<timestamp>\\n<UTC date>/<service>/tc3_request\\n"
                       + hex(sha256(CanonicalRequest))
    key = HMAC("TC3" + SecretKey, date) -> HMAC(., service) -> HMAC(., "tc3_request")
    Signature = hex(HMAC-SHA256(key, StringToSign))

The answer is ``{"Response": {"SendStatusSet": [{"Code": "Ok", "SerialNo", ...}], "RequestId"}}``,
or ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

import httpx

from platforms.sms import SmsError, SmsSettings, json_answer

ENDPOINT = "https://sms.tencentcloudapi.com/"
SERVICE, VERSION, ACTION = "sms", "2021-01-11", "SendSms"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host;x-tc-action"
RETRYABLE_PREFIXES = ("LimitExceeded", "RequestLimitExceeded", "InternalError", "FailedOperation.ContainDirtyWord")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def canonical_request(host: str, action: str, payload: str) -> str:
    return (f"POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\nx-tc-action:{action.lower()}\n\n"
            f"{SIGNED_HEADERS}\n{_sha256(payload)}")


def credential_scope(timestamp: int, service: str) -> str:
    # The date is the UTC date of the timestamp, never a local one (the docs warn of it).
    return f"{datetime.fromtimestamp(timestamp, timezone.utc):%Y-%m-%d}/{service}/tc3_request"


def string_to_sign(host: str, service: str, action: str, payload: str, timestamp: int) -> str:
    return (f"TC3-HMAC-SHA256\n{timestamp}\n{credential_scope(timestamp, service)}\n"
            f"{_sha256(canonical_request(host, action, payload))}")


def tc3_signature(secret_key: str, host: str, service: str, action: str, payload: str, timestamp: int) -> str:
    date = credential_scope(timestamp, service).split("/")[0]
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    return hmac.new(key, string_to_sign(host, service, action, payload, timestamp).encode(),
                    hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SignedRequest:
    url: str
    headers: dict[str, str]
    body: bytes


def sign_request(settings: SmsSettings, payload: str, timestamp: int, action: str = ACTION) -> SignedRequest:
    url = settings.endpoint or ENDPOINT
    host = urlsplit(url).netloc
    signature = tc3_signature(settings.access_key_secret, host, SERVICE, action, payload, timestamp)
    authorization = (f"TC3-HMAC-SHA256 Credential={settings.access_key_id}/{credential_scope(timestamp, SERVICE)}, "
                     f"SignedHeaders={SIGNED_HEADERS}, Signature={signature}")
    headers = {"Authorization": authorization, "Content-Type": CONTENT_TYPE, "Host": host, "X-TC-Action": action,
               "X-TC-Version": VERSION, "X-TC-Timestamp": str(timestamp),
               "X-TC-Region": settings.region or "ap-guangzhou"}
    return SignedRequest(url, headers, payload.encode())


class TencentSms:
    name = "tencent"

    def payload(self, phone: str, code: str, settings: SmsSettings) -> str:
        return json.dumps({"PhoneNumberSet": [phone], "SmsSdkAppId": settings.app_id, "SignName": settings.sign_name,
                           "TemplateId": settings.template, "TemplateParamSet": [code, "5"]},
                          ensure_ascii=False, separators=(",", ":"))

    def send_code(self, phone: str, code: str, settings: SmsSettings, client: httpx.Client) -> str:
        signed = sign_request(settings, self.payload(phone, code, settings), int(time.time()))
        try:
            response = client.post(signed.url, headers=signed.headers, content=signed.body)
        except httpx.HTTPError as exc:
            raise SmsError("unreachable", str(exc), retryable=True) from None
        answer = json_answer(response).get("Response") or {}
        error = answer.get("Error")
        if isinstance(error, dict):
            code_ = str(error.get("Code") or "UnknownError")
            raise SmsError(code_, str(error.get("Message") or ""), retryable=code_.startswith(RETRYABLE_PREFIXES))
        statuses = answer.get("SendStatusSet") or []
        if not statuses:
            raise SmsError("no_status", "the answer has no SendStatusSet", retryable=True)
        status = statuses[0]
        if status.get("Code") != "Ok":
            code_ = str(status.get("Code") or "UnknownError")
            raise SmsError(code_, str(status.get("Message") or ""), retryable=code_.startswith(RETRYABLE_PREFIXES))
        return str(status.get("SerialNo") or answer.get("RequestId") or "")
