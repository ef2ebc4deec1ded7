"""WeChat Pay 商家转账到零钱 (merchant transfer to a user's balance), API v3.

From the published docs (pay.weixin.qq.com, 商家转账到零钱 and 签名认证):
- ``POST /v3/transfer/batches`` with ``out_batch_no`` and one detail (``out_detail_no``,
  ``transfer_amount`` in fen, ``openid``); ``GET /v3/transfer/batches/out-batch-no/{no}
  ?need_query_detail=true&detail_status=ALL`` for the batch and detail status, and
  ``.../details/out-detail-no/{no}`` for a failed detail's ``fail_reason``.
- Every request is signed: ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="..",
  nonce_str="..",signature="..",timestamp="..",serial_no=".."`` where the signature is
  SHA256withRSA, by the merchant's API certificate key, over
  ``METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n``.
- Every answer is signed by the platform certificate: ``Wechatpay-Signature`` over
  ``TIMESTAMP\\nNONCE\\nBODY\\n`` with ``Wechatpay-Timestamp``, ``Wechatpay-Nonce`` and the
  certificate's ``Wechatpay-Serial``. An answer that does not verify is not believed:
  the transfer stays pending and is asked about again.
- Errors keep the same out_batch_no ("请勿更换商家批次单号"): only PARAM_ERROR and
  NO_AUTH (never accepted) fail a transfer; NOT_ENOUGH, FREQUENCY_LIMITED, SYSTEM_ERROR
  and anything new leave it pending. A query answering NOT_FOUND means the batch never
  landed: it is sent again under the same number.

No SDK: the official ones are Java/Go/PHP, and the community Python one (wechatpayv3)
calls out through ``requests``, past the SSRF guard every outgoing call must take.
"""
from __future__ import annotations

import json
import re
import secrets
import time
from urllib.parse import quote

import httpx

from payouts.rails import keys
from payouts.rails.base import Outcome, RailError, Transfer, checked_url, require_text
from payouts.rails.masking import mask_middle, mask_name
from plumbing import guarded_http

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
API_BASE = "https://api.mch.weixin.qq.com"
MAX_CLOCK_SKEW = 300  # seconds an answer's timestamp may differ from ours (the docs' five minutes)
NEVER_ACCEPTED = {"PARAM_ERROR", "NO_AUTH"}
_OPENID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_DIGITS = re.compile(r"^[0-9]{1,32}$")


def authorization(key, mchid: str, serial_no: str, method: str, url: str, body: str,
                  timestamp: int | None = None, nonce: str | None = None) -> str:
    """The Authorization header for one request; ``url`` is the path with its query."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    nonce = nonce or secrets.token_hex(16)
    signature = keys.sign(key, f"{method}\n{url}\n{timestamp}\n{nonce}\n{body}\n")
    return (f'{SCHEMA} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{serial_no}"')


def verify_answer(certificate, headers: httpx.Headers | dict, body: str, now: float | None = None) -> bool:
    """True when the answer is signed by this platform certificate, recently."""
    now = time.time() if now is None else now
    serial = headers.get("Wechatpay-Serial", "")
    stamp = headers.get("Wechatpay-Timestamp", "")
    nonce = headers.get("Wechatpay-Nonce", "")
    signature = headers.get("Wechatpay-Signature", "")
    if serial.upper() != f"{certificate.serial_number:X}" or not stamp.isdigit() or not nonce:
        return False
    if abs(now - int(stamp)) > MAX_CLOCK_SKEW:
        return False
    return keys.verify(certificate.public_key(), f"{stamp}\n{nonce}\n{body}\n", signature)


class WeChatPay:
    name = "wechat"
    automatic = True
    account_fields = ("openid", "name")

    def clean_credentials(self, given: dict, allow_private: bool) -> dict:
        """mchid, appid, serial_no (the merchant API certificate's), private_key (its PEM key),
        platform_certificate (PEM), api_base? (default the live API), api_v3_key? (the 32-character
        APIv3 key: with it, transfers ask for notifications, see wechat_notify.py)."""
        require_text(given, ("mchid", "appid", "serial_no", "private_key", "platform_certificate"),
                     "WeChat Pay credentials")
        if not _DIGITS.match(given["mchid"]):
            raise RailError("The merchant id is digits.", {"mchid": "must be digits"})
        keys.private_key(given["private_key"], "private_key")
        keys.certificate(given["platform_certificate"], "platform_certificate")
        api_base = checked_url((given.get("api_base") or API_BASE).rstrip("/"), "api_base", allow_private)
        api_v3_key = given.get("api_v3_key")
        if api_v3_key is not None and (not isinstance(api_v3_key, str) or len(api_v3_key.encode()) != 32):
            raise RailError("The APIv3 key is 32 characters.", {"api_v3_key": "must be 32 characters"})
        return {"api_v3_key": api_v3_key,"mchid": given["mchid"], "appid": given["appid"].strip(), "serial_no": given["serial_no"].strip(),
                "private_key": given["private_key"].strip(), "api_base": api_base,
                "platform_certificate": given["platform_certificate"].strip()}

    def clean_account(self, given: dict) -> dict:
        openid = given.get("openid")
        if not isinstance(openid, str) or not _OPENID.match(openid):
            raise RailError("An openid is required.", {"openid": "must be the payee's openid under the brand's appid"})
        name = given.get("name")
        if name is not None and (not isinstance(name, str) or not 1 <= len(name.strip()) <= 64):
            raise RailError("The name is invalid.", {"name": "1 to 64 characters"})
        return {"openid": openid, "name": name.strip() if name else None}

    def mask(self, account: dict) -> str:
        shown = f"WeChat {mask_middle(account['openid'], 4, 4)}"
        return f"{shown} {mask_name(account['name'])}" if account.get("name") else shown

    def _call(self, credentials: dict, method: str, path: str, payload: dict | None,
              allow_private: bool) -> tuple[int, dict | None, bool]:
        """(status, JSON answer or None, verified)."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload is not None else ""
        key = keys.private_key(credentials["private_key"], "private_key")
        headers = {"Authorization": authorization(key, credentials["mchid"], credentials["serial_no"], method, path, body),
                   "Accept": "application/json", "User-Agent": "Sharecast payouts"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        with guarded_http.client(allow_private) as http:
            answer = http.request(method, credentials["api_base"] + path, content=body.encode() or None,
                                  headers=headers)
        certificate = keys.certificate(credentials["platform_certificate"], "platform_certificate")
        verified = verify_answer(certificate, answer.headers, answer.text)
        try:
            data = answer.json() if answer.text else {}
        except ValueError:
            data = None
        return answer.status_code, data if isinstance(data, dict) else None, verified

    def send(self, credentials: dict, transfer: Transfer, allow_private: bool) -> Outcome:
        payload = {
            "appid": credentials["appid"], "out_batch_no": transfer.out_no, "batch_name": transfer.remark[:32],
            "batch_remark": transfer.remark[:32], "total_amount": transfer.amount_minor, "total_num": 1,
            "transfer_detail_list": [{"out_detail_no": transfer.out_no, "transfer_amount": transfer.amount_minor,
                                      "transfer_remark": transfer.remark[:32], "openid": transfer.account["openid"]}],
        }
        if transfer.notify_url and credentials.get("api_v3_key"):
            payload["notify_url"] = transfer.notify_url
        try:
            status, data, verified = self._call(credentials, "POST", "/v3/transfer/batches", payload, allow_private)
        except httpx.HTTPError as exc:
            return Outcome("pending", "NETWORK_ERROR", reason=str(exc)[:200])
        if not verified or data is None:
            return Outcome("pending", "UNVERIFIED_ANSWER", reason=f"HTTP {status}: answer not signed by the platform")
        if status == 200:
            return Outcome("pending", data.get("batch_status", "ACCEPTED"), rail_ref=data.get("batch_id"))
        code = str(data.get("code", ""))
        state = "failed" if code in NEVER_ACCEPTED else "pending"
        return Outcome(state, code or f"HTTP_{status}", reason=str(data.get("message", ""))[:500])

    def query(self, credentials: dict, transfer: Transfer, allow_private: bool) -> Outcome:
        no = quote(transfer.out_no, safe="")
        path = f"/v3/transfer/batches/out-batch-no/{no}?need_query_detail=true&detail_status=ALL"
        try:
            status, data, verified = self._call(credentials, "GET", path, None, allow_private)
        except httpx.HTTPError as exc:
            return Outcome("pending", "NETWORK_ERROR", reason=str(exc)[:200])
        if not verified or data is None:
            return Outcome("pending", "UNVERIFIED_ANSWER", reason=f"HTTP {status}: answer not signed by the platform")
        if status == 404 and data.get("code") == "NOT_FOUND":
            return Outcome("resend", "NOT_FOUND")
        if status != 200:
            return Outcome("pending", str(data.get("code") or f"HTTP_{status}"), reason=str(data.get("message", ""))[:500])
        batch = data.get("transfer_batch") or {}
        batch_status = str(batch.get("batch_status", ""))
        if batch_status == "CLOSED":
            return Outcome("failed", "CLOSED", batch.get("batch_id"), str(batch.get("close_reason") or "closed"))
        if batch_status != "FINISHED":
            return Outcome("pending", batch_status, batch.get("batch_id"))
        detail = next((d for d in data.get("transfer_detail_list") or [] if d.get("out_detail_no") == transfer.out_no),
                      None)
        detail_status = str((detail or {}).get("detail_status", ""))
        if detail_status == "SUCCESS":
            return Outcome("paid", "SUCCESS", batch.get("batch_id"))
        if detail_status == "FAIL":
            return Outcome("failed", "FAIL", batch.get("batch_id"), self._fail_reason(credentials, no, allow_private))
        return Outcome("pending", detail_status or batch_status, batch.get("batch_id"))

    def _fail_reason(self, credentials: dict, no: str, allow_private: bool) -> str:
        try:
            status, data, verified = self._call(
                credentials, "GET", f"/v3/transfer/batches/out-batch-no/{no}/details/out-detail-no/{no}", None,
                allow_private)
        except httpx.HTTPError:
            return "FAIL"
        return str(data.get("fail_reason") or "FAIL") if verified and status == 200 and data else "FAIL"

