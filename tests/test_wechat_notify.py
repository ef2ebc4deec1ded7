"""WeChat Pay's transfer notification settles a withdrawal at once: signed by the platform,
AEAD_AES_256_GCM with the APIv3 key (the documented format, keys made here), safe to repeat."""
from __future__ import annotations

import base64
import json
import secrets
import time

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from payout_fakes import private_pem, sign
from test_withdrawals import (  # noqa: F401  (fixtures)
    MERCHANT_KEY,
    approve_earnings,
    buckets,
    private_targets,
    put,
    seller,
    send,
    status_of,
    wechat,
    withdraw,
)

API_V3_KEY = secrets.token_hex(16)  # 32 characters, as the merchant platform issues
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


@pytest.fixture
def notified(app, owner, seller, wechat):  # noqa: F811
    """The rail with an APIv3 key, and a 20.00 withdrawal sent (accepted, not finished)."""
    res = put(owner, "/api/v1/payouts/rails/wechat", {
        "mchid": "1900000109", "appid": "wxd678efh567hg6787", "serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "private_key": private_pem(MERCHANT_KEY), "platform_certificate": wechat.platform_cert_pem,
        "api_base": wechat.base, "api_v3_key": API_V3_KEY})
    assert res.status_code == 200, res.json
    approve_earnings(app, owner)
    assert put(owner, f"/api/v1/sharers/{seller['id']}/payout-method",
               {"rail": "wechat", "account": {"openid": OPENID}}).status_code == 200  # staff: at once
    w = withdraw(owner, seller, "20.00")
    owner.post(f"/api/v1/withdrawals/{w['id']}/approve")
    assert send(app, w["id"]) == "sending"
    return w


def batch(out_no: str, status="FINISHED", success=1, amount=2000, **extra) -> dict:
    """The decrypted resource, as the docs show it for MCHTRANSFER.BATCH.FINISHED."""
    return {"out_batch_no": out_no, "batch_id": "131000007026709999520922023081519403795655", "batch_status": status,
            "total_num": 1, "total_amount": amount, "success_amount": amount * success, "success_num": success,
            "fail_amount": amount * (1 - success), "fail_num": 1 - success, "mch_id": "1900000109",
            "update_time": "2026-11-30T20:33:22+08:00", **extra}


def notification(platform_key, serial: int, plain: dict, key: str = API_V3_KEY, stamp: int | None = None,
                 event: str = "MCHTRANSFER.BATCH.FINISHED") -> tuple[dict, str]:
    """Headers and body the platform sends: the resource sealed with AES-256-GCM (ciphertext + tag,
    Base64), the body signed over TIMESTAMP\\nNONCE\\nBODY\\n by the platform key."""
    nonce, aad = secrets.token_hex(6), "mch_payment"
    sealed = AESGCM(key.encode()).encrypt(nonce.encode(), json.dumps(plain, ensure_ascii=False).encode(), aad.encode())
    body = json.dumps({"id": "EV-2018022511223320873", "create_time": "2026-11-30T20:33:22+08:00",
                       "resource_type": "encrypt-resource", "event_type": event, "summary": "商家转账批次完成通知",
                       "resource": {"original_type": "mch_payment", "algorithm": "AEAD_AES_256_GCM",
                                    "ciphertext": base64.b64encode(sealed).decode(), "nonce": nonce,
                                    "associated_data": aad}}, ensure_ascii=False)
    stamp = int(time.time()) if stamp is None else stamp
    header_nonce = secrets.token_hex(16)
    headers = {"Wechatpay-Timestamp": str(stamp), "Wechatpay-Nonce": header_nonce, "Wechatpay-Serial": f"{serial:X}",
               "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
               "Wechatpay-Signature": sign(platform_key, f"{stamp}\n{header_nonce}\n{body}\n"),
               "Content-Type": "application/json"}
    return headers, body


def post(client, headers, body, workspace_id=1):
    return client.post(f"/api/v1/payouts/rails/wechat/notify/{workspace_id}", data=body.encode(), headers=headers)


def test_a_finished_batch_notification_pays_the_withdrawal_once(app, client, owner, seller, wechat, notified):  # noqa: F811
    sent = wechat.batches[notified["out_no"]]["request"]
    assert sent["notify_url"].endswith("/api/v1/payouts/rails/wechat/notify/1")
    headers, body = notification(wechat.platform_key, wechat.platform_cert.serial_number, batch(notified["out_no"]))
    res = post(client, headers, body)
    assert res.status_code == 200 and res.json == {"code": "SUCCESS"}
    done = status_of(owner, notified["id"])
    assert done["status"] == "paid" and done["rail_status"] == "SUCCESS" and done["payout_id"]
    again = post(client, headers, body)  # WeChat may send it again
    assert again.status_code == 200 and again.json == {"code": "SUCCESS"}
    assert buckets(app, seller["id"]) == {"pending": 0, "approved": 1980, "withdrawing": 0, "paid": 2000}


def test_a_closed_batch_notification_returns_the_money(app, client, owner, seller, wechat, notified):  # noqa: F811
    headers, body = notification(wechat.platform_key, wechat.platform_cert.serial_number,
                                 batch(notified["out_no"], "CLOSED", close_reason="MERCHANT_REVOCATION"),
                                 event="MCHTRANSFER.BATCH.CLOSED")
    assert post(client, headers, body).status_code == 200
    done = status_of(owner, notified["id"])
    assert (done["status"], done["reason"]) == ("failed", "MERCHANT_REVOCATION")
    assert buckets(app, seller["id"])["approved"] == 3980


def test_a_failed_detail_is_handed_to_the_follow_up_for_its_reason(app, client, owner, wechat, notified):  # noqa: F811
    from plumbing import redis_client

    headers, body = notification(wechat.platform_key, wechat.platform_cert.serial_number,
                                 batch(notified["out_no"], success=0))
    assert post(client, headers, body).status_code == 200
    assert status_of(owner, notified["id"])["status"] == "sending"
    jobs = redis_client.queue(app=app).get_jobs()
    assert any(j.func_name.endswith("follow_up") and j.args == (notified["id"],) for j in jobs)


def test_notifications_not_believed_change_nothing(app, client, owner, seller, wechat, notified):  # noqa: F811
    serial = wechat.platform_cert.serial_number
    plain = batch(notified["out_no"])
    headers, body = notification(wechat.platform_key, serial, plain)
    forged = body.replace("EV-2018", "EV-2019")  # the body changed after signing
    assert post(client, headers, forged).status_code == 401
    other_platform = notification(MERCHANT_KEY, serial, plain)  # signed by a key that is not the platform's
    assert post(client, *other_platform).status_code == 401
    stale = notification(wechat.platform_key, serial, plain, stamp=int(time.time()) - 3600)
    assert post(client, *stale).status_code == 401
    wrong_key = notification(wechat.platform_key, serial, plain, key=secrets.token_hex(16))
    res = post(client, *wrong_key)
    assert res.status_code == 401 and "decrypt" in res.json["error"]["message"]
    other_merchant = notification(wechat.platform_key, serial, {**plain, "mch_id": "1900000999"})
    assert post(client, *other_merchant).status_code == 401
    unknown = notification(wechat.platform_key, serial, batch("NOSUCHBATCH0001"))
    assert post(client, *unknown).status_code == 404
    assert post(client, headers, body, workspace_id=999).status_code == 404
    assert status_of(owner, notified["id"])["status"] == "sending"
    assert buckets(app, seller["id"])["withdrawing"] == 2000


def test_an_api_v3_key_that_is_not_32_characters_is_refused(owner, wechat):  # noqa: F811
    res = put(owner, "/api/v1/payouts/rails/wechat", {
        "mchid": "1900000109", "appid": "wxd678efh567hg6787", "serial_no": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "private_key": private_pem(MERCHANT_KEY), "platform_certificate": wechat.platform_cert_pem,
        "api_base": wechat.base, "api_v3_key": "short"})
    assert res.status_code == 422 and "api_v3_key" in res.json["error"]["fields"]
