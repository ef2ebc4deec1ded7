"""WeChat Pay's transfer notifications (商家转账批次回调通知, MCHTRANSFER.BATCH.FINISHED / .CLOSED), pure.

From the published docs (pay.weixin.qq.com, 回调通知 and 证书和回调报文解密):
- The request is signed like every platform answer: ``Wechatpay-Signature`` (SHA256withRSA by
  the platform certificate) over ``TIMESTAMP\\nNONCE\\nBODY\\n``, with ``Wechatpay-Timestamp``
  (within five minutes), ``Wechatpay-Nonce`` and ``Wechatpay-Serial``.
- The body's ``resource`` is AEAD_AES_256_GCM: the key is the merchant's 32-byte APIv3 key,
  ``nonce`` (12 characters) and ``associated_data`` as UTF-8, ``ciphertext`` Base64 of the
  encrypted text followed by its 16-byte tag. The plain text is JSON with ``out_batch_no``,
  ``batch_id``, ``batch_status`` (FINISHED / CLOSED), ``success_num``, ``fail_num``,
  ``success_amount``, ``mch_id`` and ``close_reason`` when closed.
- Answer 200 ``{"code": "SUCCESS"}``; anything else (4xx/5xx with ``{"code": "FAIL", "message"}``)
  makes WeChat send it again. The same notification may come several times.

``cryptography``'s AESGCM does the decryption (already a dependency, used for the RSA keys).
"""
from __future__ import annotations

import base64
import binascii
import json

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from payouts.rails import keys
from payouts.rails.base import Outcome
from payouts.rails.wechatpay import verify_answer

EVENTS = ("MCHTRANSFER.BATCH.FINISHED", "MCHTRANSFER.BATCH.CLOSED")


class NotificationError(ValueError):
    """A notification not believed (bad signature, stale, undecryptable) or not understood."""


def decrypt_resource(api_v3_key: str, resource: dict) -> dict:
    """The plain JSON of an AEAD_AES_256_GCM resource. :raise NotificationError: anything else."""
    if not isinstance(resource, dict) or resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise NotificationError("resource is not AEAD_AES_256_GCM")
    try:
        plain = AESGCM(api_v3_key.encode()).decrypt(
            str(resource.get("nonce", "")).encode(), base64.b64decode(str(resource.get("ciphertext", "")), validate=True),
            str(resource.get("associated_data") or "").encode())
        data = json.loads(plain)
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise NotificationError("resource does not decrypt with the APIv3 key") from exc
    if not isinstance(data, dict):
        raise NotificationError("resource is not a JSON object")
    return data


def read_notification(credentials: dict, headers, body: str, now: float | None = None) -> dict:
    """The decrypted batch of a transfer notification signed by the brand's platform certificate.

    :raise NotificationError: not signed, stale, not a transfer event, or not for this merchant.
    """
    certificate = keys.certificate(credentials["platform_certificate"], "platform_certificate")
    if not verify_answer(certificate, headers, body, now):
        raise NotificationError("not signed by the platform certificate")
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise NotificationError("body is not JSON") from exc
    if not isinstance(event, dict) or event.get("event_type") not in EVENTS:
        raise NotificationError("not a transfer batch event")
    batch = decrypt_resource(credentials["api_v3_key"], event.get("resource"))
    if str(batch.get("mch_id") or batch.get("mchid") or "") != credentials["mchid"]:
        raise NotificationError("for another merchant")
    if not isinstance(batch.get("out_batch_no"), str):
        raise NotificationError("no out_batch_no")
    return batch


def outcome_of(batch: dict, amount_minor: int) -> Outcome | None:
    """What a batch of one transfer says: paid, failed, or None (a failed detail: its reason is
    asked for by the follow-up, which reads the detail)."""
    status, ref = str(batch.get("batch_status", "")), batch.get("batch_id")
    if status == "CLOSED":
        return Outcome("failed", "CLOSED", ref, str(batch.get("close_reason") or "closed"))
    if status == "FINISHED" and batch.get("success_num") == 1 and batch.get("success_amount") == amount_minor:
        return Outcome("paid", "SUCCESS", ref)
    return None
