"""Alipay 单笔转账 (alipay.fund.trans.uni.transfer) with RSA2 signing.

From the published docs (opendocs.alipay.com, 单笔转账接口 and 自行实现签名):
- A form POST to the gateway with the common parameters ``app_id``, ``method``,
  ``format=JSON``, ``charset=utf-8``, ``sign_type=RSA2``, ``timestamp``
  (``yyyy-MM-dd HH:mm:ss``, Beijing time), ``version=1.0``, ``biz_content`` (JSON) and
  ``sign``: SHA256withRSA by the app's private key over every other non-empty
  parameter, sorted by name, as ``k=v`` joined by ``&``.
- The transfer: ``out_biz_no`` (the merchant's unique id: the same one is paid
  once), ``trans_amount`` (yuan, two decimals), ``product_code=TRANS_ACCOUNT_NO_PWD``,
  ``biz_scene=DIRECT_TRANSFER``, ``order_title``, ``payee_info`` (``identity``,
  ``identity_type`` ALIPAY_USER_ID or ALIPAY_LOGON_ID, ``name``).
- The answer is ``{"alipay_fund_trans_uni_transfer_response": {...}, "sign": "..."}``;
  ``sign`` is Alipay's signature over the exact text of the response object, checked
  with Alipay's public key. ``code`` 10000 with ``status`` SUCCESS is paid; 40004 with a
  payee ``sub_code`` failed for good; anything else (20000, SYSTEM_ERROR, a broken
  or unsigned answer) is unknown and asked about with alipay.fund.trans.common.query,
  whose ORDER_NOT_EXIST means it never landed (sent again, same out_biz_no).

No SDK: the official alipay-sdk-python pulls in pycryptodome and its own HTTP client
(past the SSRF guard); the signing is a few lines over ``cryptography``.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from payouts.rails import keys
from payouts.rails.base import Outcome, RailError, Transfer, checked_url, require_text
from payouts.rails.masking import mask_middle, mask_name
from plumbing import guarded_http
from plumbing.money import format_amount

GATEWAY = "https://openapi.alipay.com/gateway.do"
TRANSFER = "alipay.fund.trans.uni.transfer"
QUERY = "alipay.fund.trans.common.query"
BEIJING = ZoneInfo("Asia/Shanghai")
PRODUCT = {"product_code": "TRANS_ACCOUNT_NO_PWD", "biz_scene": "DIRECT_TRANSFER"}
# sub_codes after which the transfer surely did not happen and will not by retrying it
FINAL_FAILURES = {
    "PAYEE_NOT_EXIST", "PAYEE_USER_INFO_ERROR", "PAYEE_ACCOUNT_STATUS_ERROR", "PAYEE_ACC_OCUPIED",
    "PAYEE_ACCOUNT_NOT_EXSIT", "PAYEE_CERT_INFO_ERROR", "PERMIT_CHECK_PERM_IDENTITY_THEFT",
    "PERM_AML_NOT_REALNAME_REV", "INVALID_PARAMETER", "MONEY_PAY_CLOSED", "EXCEED_LIMIT_SM_AMOUNT",
    "EXCEED_LIMIT_PERSONAL_SM_AMOUNT", "EXCEED_LIMIT_DM_AMOUNT", "PAYER_PAYEE_CANNOT_SAME",
}
_USER_ID = re.compile(r"^2088[0-9]{12}$")
_APP_ID = re.compile(r"^[0-9]{8,32}$")


def sign_content(params: dict) -> str:
    """The text Alipay signs: non-empty parameters but ``sign``, sorted, ``k=v`` joined by ``&``."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v not in (None, ""))


def response_text(raw: str, node: str) -> str | None:
    """The exact text of ``node``'s object in an answer (what Alipay's ``sign`` covers)."""
    marker = f'"{node}"'
    at = raw.find(marker)
    if at < 0:
        return None
    start = raw.find("{", at + len(marker))
    if start < 0 or raw[at + len(marker):start].strip() != ":":
        return None
    try:
        _, end = json.JSONDecoder().raw_decode(raw, start)
    except ValueError:
        return None
    return raw[start:end]


class Alipay:
    name = "alipay"
    automatic = True
    account_fields = ("identity", "name")

    def clean_credentials(self, given: dict, allow_private: bool) -> dict:
        """app_id, private_key (the app's RSA2 key), alipay_public_key, gateway? (default the live one)."""
        require_text(given, ("app_id", "private_key", "alipay_public_key"), "Alipay credentials")
        if not _APP_ID.match(given["app_id"]):
            raise RailError("The app id is digits.", {"app_id": "must be digits"})
        keys.private_key(given["private_key"], "private_key")
        keys.public_key(given["alipay_public_key"], "alipay_public_key")
        gateway = checked_url(given.get("gateway") or GATEWAY, "gateway", allow_private)
        return {"app_id": given["app_id"], "private_key": given["private_key"].strip(),
                "alipay_public_key": given["alipay_public_key"].strip(), "gateway": gateway}

    def clean_account(self, given: dict) -> dict:
        identity, name = given.get("identity"), given.get("name")
        if not isinstance(identity, str) or not 3 <= len(identity.strip()) <= 100:
            raise RailError("An Alipay account is required.", {"identity": "the Alipay user id, phone or email"})
        identity = identity.strip()
        kind = "ALIPAY_USER_ID" if _USER_ID.match(identity) else "ALIPAY_LOGON_ID"
        if kind == "ALIPAY_LOGON_ID" and (not isinstance(name, str) or not name.strip()):
            # Alipay checks the real name against a logon id (phone or email).
            raise RailError("The account holder's real name is required.", {"name": "is required with a phone or email"})
        return {"identity": identity, "identity_type": kind, "name": name.strip() if isinstance(name, str) else None}

    def mask(self, account: dict) -> str:
        identity = account["identity"]
        if "@" in identity:
            user, _, domain = identity.partition("@")
            shown = f"{user[:2]}****@{domain}"
        else:
            shown = mask_middle(identity, 3, 4)
        return f"Alipay {shown}" + (f" {mask_name(account['name'])}" if account.get("name") else "")

    def _call(self, credentials: dict, method: str, biz: dict, allow_private: bool,
              now: datetime | None = None) -> dict | None:
        """The verified response object, or None when the answer is missing, broken or not Alipay's."""
        params = {"app_id": credentials["app_id"], "method": method, "format": "JSON", "charset": "utf-8",
                  "sign_type": "RSA2", "version": "1.0",
                  "timestamp": (now or datetime.now(BEIJING)).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
                  "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":"))}
        params["sign"] = keys.sign(keys.private_key(credentials["private_key"], "private_key"), sign_content(params))
        with guarded_http.client(allow_private) as http:
            answer = http.post(credentials["gateway"], data=params, headers={"User-Agent": "Sharecast payouts"})
        node = method.replace(".", "_") + "_response"
        text = response_text(answer.text, node)
        try:
            signature = json.loads(answer.text).get("sign")
        except (ValueError, AttributeError):
            return None
        public = keys.public_key(credentials["alipay_public_key"], "alipay_public_key")
        if text is None or not isinstance(signature, str) or not keys.verify(public, text, signature):
            return None
        data = json.loads(text)
        return data if isinstance(data, dict) else None

    def send(self, credentials: dict, transfer: Transfer, allow_private: bool) -> Outcome:
        payee = {"identity": transfer.account["identity"], "identity_type": transfer.account["identity_type"]}
        if transfer.account.get("name"):
            payee["name"] = transfer.account["name"]
        biz = {"out_biz_no": transfer.out_no, "trans_amount": format_amount(transfer.amount_minor, transfer.currency),
               **PRODUCT, "order_title": transfer.remark[:64], "payee_info": payee}
        try:
            data = self._call(credentials, TRANSFER, biz, allow_private)
        except httpx.HTTPError as exc:
            return Outcome("pending", "NETWORK_ERROR", reason=str(exc)[:200])
        return self._outcome(data, final_failures=FINAL_FAILURES)

    def query(self, credentials: dict, transfer: Transfer, allow_private: bool) -> Outcome:
        try:
            data = self._call(credentials, QUERY, {"out_biz_no": transfer.out_no, **PRODUCT}, allow_private)
        except httpx.HTTPError as exc:
            return Outcome("pending", "NETWORK_ERROR", reason=str(exc)[:200])
        if data is not None and data.get("sub_code") == "ORDER_NOT_EXIST":
            return Outcome("resend", "ORDER_NOT_EXIST")
        return self._outcome(data, final_failures=set())

    @staticmethod
    def _outcome(data: dict | None, final_failures: set[str]) -> Outcome:
        if data is None:
            return Outcome("pending", "UNVERIFIED_ANSWER", reason="answer missing or not signed by Alipay")
        ref = data.get("order_id")
        if data.get("code") == "10000":
            status = str(data.get("status", ""))
            if status == "SUCCESS":
                return Outcome("paid", status, ref)
            if status in ("FAIL", "REFUND", "CLOSED"):
                return Outcome("failed", status, ref, str(data.get("fail_reason") or data.get("error_code") or status))
            return Outcome("pending", status or "DEALING", ref)
        sub_code = str(data.get("sub_code") or data.get("code") or "")
        state = "failed" if sub_code in final_failures else "pending"
        return Outcome(state, sub_code, ref, str(data.get("sub_msg") or data.get("msg") or "")[:500])
