"""Local fakes of the payout rails, built from their published docs, on 127.0.0.1.

Each checks what the real platform checks (request signatures with the keys the
test generated, required fields, amounts, idempotency by the merchant's request
number), answers in the documented shapes and error codes, and signs its answers
as the platform does. ``payments`` records every transfer that moved money, so a
test can prove nothing was paid twice.
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
import zlib
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from servers import serve_in_background


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def certificate_for(key, serial: int, name: str = "Tenpay.com Root CA") -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(serial).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .sign(key, hashes.SHA256()))


def sign(key, message: str) -> str:
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(public_key, message: str, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


class _HttpFake:
    """A threaded HTTP server on 127.0.0.1 whose handler calls ``self.handle(method, path, headers, body)``,
    which answers ``(status, body text, headers)``."""

    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with owner.lock:
                    status, text, headers = owner.handle(self.command, self.path, self.headers, body)
                data = text.encode()
                self.send_response(status)
                for k, v in {"Content-Type": "application/json; charset=utf-8", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve  # noqa: N815

            def log_message(self, *args):
                pass

        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        self.payments: list[dict] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve_in_background(self.httpd)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeWeChatPay(_HttpFake):
    """商家转账到零钱 (v3): POST /v3/transfer/batches, GET .../out-batch-no/{no}[/details/out-detail-no/{no}].

    ``fail_next``: (status, code) answers for the next create calls, made before anything
    is accepted (NOT_ENOUGH, FREQUENCY_LIMITED...). ``lose_next_answer``: accept the next
    batch but answer 500 SYSTEM_ERROR, as a timeout would look. ``frozen``: openids whose
    detail fails. Batches stay ACCEPTED until ``finish()``. ``sign_with``: another key
    to sign answers with (a forged platform).
    """

    def __init__(self, mchid: str, appid: str, merchant_serial: str, merchant_key) -> None:
        super().__init__()
        self.mchid, self.appid, self.merchant_serial = mchid, appid, merchant_serial
        self.merchant_public = merchant_key.public_key()
        self.platform_key = new_key()
        self.platform_cert = certificate_for(self.platform_key, 0x5157F09EFDC096DE15EBE81A47057A7232F1B8E1)
        self.sign_with = None
        self.batches: dict[str, dict] = {}
        self.fail_next: list[tuple[int, str]] = []
        self.lose_next_answer = False
        self.frozen: set[str] = set()

    @property
    def platform_cert_pem(self) -> str:
        return self.platform_cert.public_bytes(serialization.Encoding.PEM).decode()

    def _answer(self, status: int, payload: dict) -> tuple[int, str, dict]:
        text = json.dumps(payload, ensure_ascii=False)
        stamp, nonce = str(int(time.time())), base64.b16encode(threading.get_ident().to_bytes(8, "big")).decode()
        return status, text, {
            "Wechatpay-Timestamp": stamp, "Wechatpay-Nonce": nonce,
            "Wechatpay-Serial": f"{self.platform_cert.serial_number:X}", "Request-ID": f"req-{len(self.requests)}",
            "Wechatpay-Signature": sign(self.sign_with or self.platform_key, f"{stamp}\n{nonce}\n{text}\n")}

    def _error(self, status: int, code: str, message: str) -> tuple[int, str, dict]:
        return self._answer(status, {"code": code, "message": message})

    def _authorized(self, method: str, path: str, headers, body: bytes) -> bool:
        found = re.fullmatch(r'WECHATPAY2-SHA256-RSA2048 (.*)', headers.get("Authorization", ""))
        if not found:
            return False
        parts = dict(re.findall(r'(\w+)="([^"]*)"', found.group(1)))
        if parts.get("mchid") != self.mchid or parts.get("serial_no") != self.merchant_serial:
            return False
        if not parts.get("timestamp", "").isdigit() or abs(time.time() - int(parts["timestamp"])) > 300:
            return False
        message = f"{method}\n{path}\n{parts['timestamp']}\n{parts.get('nonce_str', '')}\n{body.decode()}\n"
        return verify(self.merchant_public, message, parts.get("signature", ""))

    def handle(self, method, path, headers, body):
        self.requests.append((method, path))
        if not self._authorized(method, path, headers, body):
            return self._error(401, "SIGN_ERROR", "签名错误")
        route = urlsplit(path)
        if method == "POST" and route.path == "/v3/transfer/batches":
            return self._create(json.loads(body))
        found = re.fullmatch(r"/v3/transfer/batches/out-batch-no/([^/]+)(?:/details/out-detail-no/([^/]+))?",
                             route.path)
        if method == "GET" and found:
            query = dict(parse_qsl(route.query))
            batch = self.batches.get(unquote(found.group(1)))
            if batch is None:
                return self._error(404, "NOT_FOUND", "记录不存在")
            if found.group(2):
                detail = next((d for d in batch["details"] if d["out_detail_no"] == unquote(found.group(2))), None)
                return self._answer(200, detail) if detail else self._error(404, "NOT_FOUND", "记录不存在")
            if query.get("need_query_detail") == "true" and not query.get("detail_status"):
                return self._error(400, "PARAM_ERROR", "detail_status 必填")
            answer = {"transfer_batch": {k: v for k, v in batch.items() if k != "details"}}
            if batch["batch_status"] == "FINISHED" and query.get("need_query_detail") == "true":
                answer["transfer_detail_list"] = [
                    {"detail_id": d["detail_id"], "out_detail_no": d["out_detail_no"], "detail_status": d["detail_status"]}
                    for d in batch["details"] if query["detail_status"] in ("ALL", d["detail_status"])]
            return self._answer(200, answer)
        return self._error(404, "NOT_FOUND", "no such API")

    def _create(self, data: dict):
        details = data.get("transfer_detail_list") or []
        valid = (data.get("appid") == self.appid and re.fullmatch(r"[A-Za-z0-9]{5,32}", str(data.get("out_batch_no")))
                 and data.get("batch_name") and data.get("batch_remark") and 1 <= len(details) <= 3000
                 and data.get("total_num") == len(details)
                 and data.get("total_amount") == sum(d.get("transfer_amount", 0) for d in details)
                 and all(isinstance(d.get("transfer_amount"), int) and d["transfer_amount"] >= 10 and d.get("openid")
                         and re.fullmatch(r"[A-Za-z0-9]{5,32}", str(d.get("out_detail_no"))) for d in details))
        if not valid:
            return self._error(400, "PARAM_ERROR", "转账批次参数不正确")
        if self.fail_next:
            return self._error(*self.fail_next.pop(0), "请勿更换商家转账批次单号,原单重试")
        no = data["out_batch_no"]
        if no in self.batches:
            batch = self.batches[no]
            if batch["request"] != data:
                return self._error(400, "INVALID_REQUEST", "商家批次单号已存在,请求参数不一致")
        else:
            batch = self.batches[no] = {
                "mchid": self.mchid, "appid": self.appid, "out_batch_no": no, "batch_id": f"1030000071100999991182020{len(self.batches):015d}",
                "batch_status": "ACCEPTED", "batch_type": "API", "batch_name": data["batch_name"],
                "batch_remark": data["batch_remark"], "total_amount": data["total_amount"],
                "total_num": data["total_num"], "create_time": "2026-11-30T10:00:00+08:00", "request": data,
                "details": [{"mchid": self.mchid, "out_batch_no": no, "detail_id": f"{no}-{i}",
                             "out_detail_no": d["out_detail_no"], "detail_status": "PROCESSING",
                             "transfer_amount": d["transfer_amount"], "openid": d["openid"]}
                            for i, d in enumerate(details)]}
        if self.lose_next_answer:
            self.lose_next_answer = False
            return self._error(500, "SYSTEM_ERROR", "系统错误,请勿更换商家转账批次单号,请使用相同参数再次调用API")
        return self._answer(200, {"out_batch_no": no, "batch_id": batch["batch_id"],
                                  "create_time": batch["create_time"], "batch_status": batch["batch_status"]})

    def finish(self) -> None:
        """Process every accepted batch: details pay (once) or fail, the batch FINISHED."""
        with self.lock:
            for batch in self.batches.values():
                if batch["batch_status"] == "FINISHED":
                    continue
                for d in batch["details"]:
                    if d["openid"] in self.frozen:
                        d["detail_status"], d["fail_reason"] = "FAIL", "ACCOUNT_FROZEN"
                    else:
                        d["detail_status"] = "SUCCESS"
                        self.payments.append({"out_detail_no": d["out_detail_no"], "openid": d["openid"],
                                              "amount": d["transfer_amount"]})
                batch["batch_status"] = "FINISHED"


class FakeAlipay(_HttpFake):
    """The open-platform gateway: alipay.fund.trans.uni.transfer and alipay.fund.trans.common.query.

    ``accounts``: identity → real name (a logon id must come with the matching name).
    ``lose_next_answer``: make the next transfer but answer 20000 SYSTEM_ERROR.
    """

    def __init__(self, app_id: str, app_key) -> None:
        super().__init__()
        self.app_id, self.app_public = app_id, app_key.public_key()
        self.alipay_key = new_key()
        self.accounts: dict[str, str] = {}
        self.orders: dict[str, dict] = {}
        self.lose_next_answer = False

    def _answer(self, node: str, payload: dict) -> tuple[int, str, dict]:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        return 200, f'{{"{node}":{text},"sign":"{sign(self.alipay_key, text)}"}}', {}

    def handle(self, method, path, headers, body):
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        self.requests.append((method, params.get("method", "")))
        node = params.get("method", "error").replace(".", "_") + "_response"
        content = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v != "")
        if params.get("app_id") != self.app_id:
            return self._answer(node, {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-app-id",
                                       "sub_msg": "无效的AppID参数"})
        if params.get("sign_type") != "RSA2" or not verify(self.app_public, content, params.get("sign", "")):
            return self._answer(node, {"code": "40002", "msg": "Invalid Arguments",
                                       "sub_code": "isv.invalid-signature", "sub_msg": "验签出错"})
        try:
            stamp = datetime.strptime(params["timestamp"], "%Y-%m-%d %H:%M:%S")
            biz = json.loads(params["biz_content"])
        except (KeyError, ValueError):
            return self._answer(node, {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-timestamp"})
        beijing_now = datetime.now(timezone(timedelta(hours=8))).replace(tzinfo=None)
        if abs((beijing_now - stamp).total_seconds()) > 600 or params.get("charset") != "utf-8":
            return self._answer(node, {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-timestamp"})
        if params["method"] == "alipay.fund.trans.uni.transfer":
            return self._transfer(node, biz)
        if params["method"] == "alipay.fund.trans.common.query":
            order = self.orders.get(biz.get("out_biz_no", ""))
            if order is None:
                return self._answer(node, {"code": "40004", "msg": "Business Failed", "sub_code": "ORDER_NOT_EXIST",
                                           "sub_msg": "转账订单不存在"})
            return self._answer(node, {"code": "10000", "msg": "Success", **order})
        return self._answer(node, {"code": "40001", "msg": "Missing Required Arguments", "sub_code": "isv.missing-method"})

    def _transfer(self, node: str, biz: dict):
        payee = biz.get("payee_info") or {}
        amount = str(biz.get("trans_amount", ""))
        if (not re.fullmatch(r"[0-9]+(\.[0-9]{1,2})?", amount) or float(amount) < 0.1
                or biz.get("product_code") != "TRANS_ACCOUNT_NO_PWD" or biz.get("biz_scene") != "DIRECT_TRANSFER"
                or not biz.get("out_biz_no") or not biz.get("order_title")
                or payee.get("identity_type") not in ("ALIPAY_USER_ID", "ALIPAY_LOGON_ID")):
            return self._answer(node, {"code": "40004", "msg": "Business Failed", "sub_code": "INVALID_PARAMETER",
                                       "sub_msg": "参数有误"})
        no = biz["out_biz_no"]
        if no not in self.orders:
            if payee.get("identity") not in self.accounts:
                return self._answer(node, {"code": "40004", "msg": "Business Failed", "sub_code": "PAYEE_NOT_EXIST",
                                           "sub_msg": "收款账号不存在"})
            if payee["identity_type"] == "ALIPAY_LOGON_ID" and payee.get("name") != self.accounts[payee["identity"]]:
                return self._answer(node, {"code": "40004", "msg": "Business Failed",
                                           "sub_code": "PAYEE_USER_INFO_ERROR", "sub_msg": "收款用户姓名与账号不一致"})
            self.orders[no] = {"out_biz_no": no, "order_id": f"20261130110070000002{len(self.orders):010d}",
                               "pay_fund_order_id": f"20261130110070001502{len(self.orders):010d}",
                               "status": "SUCCESS", "trans_date": "2026-11-30 18:00:00", "trans_amount": amount}
            self.payments.append({"out_biz_no": no, "identity": payee["identity"], "amount": amount})
        if self.lose_next_answer:
            self.lose_next_answer = False
            return self._answer(node, {"code": "20000", "msg": "Service Currently Unavailable",
                                       "sub_code": "SYSTEM_ERROR", "sub_msg": "系统繁忙"})
        order = self.orders[no]
        return self._answer(node, {"code": "10000", "msg": "Success", **{k: order[k] for k in
                                   ("out_biz_no", "order_id", "pay_fund_order_id", "status", "trans_date")}})


class FakePayPal(_HttpFake):
    """PayPal's REST API for Payouts: the OAuth token, creating a payout batch, showing it, and verifying a
    webhook's signature, as developer.paypal.com documents them.

    ``receivers``: who has a PayPal account (others' items stay UNCLAIMED); ``refusing``: receivers whose
    item FAILS (RECEIVER_UNREGISTERED). ``lose_next_answer``: make the next batch but answer 500.
    ``webhook_id``: the app's webhook; ``event_for`` builds a signed notification as PayPal sends it.
    """

    ITEM_ERRORS = {"RECEIVER_UNREGISTERED": "Receiver is unregistered"}

    def __init__(self, client_id: str, client_secret: str, webhook_id: str = "1JE4291016473214C") -> None:
        super().__init__()
        self.client_id, self.client_secret, self.webhook_id = client_id, client_secret, webhook_id
        self.tokens: set[str] = set()
        self.batches: dict[str, dict] = {}  # payout_batch_id -> batch
        self.by_sender_id: dict[str, str] = {}
        self.by_request_id: dict[str, tuple[int, str]] = {}
        self.receivers: set[str] = set()
        self.refusing: set[str] = set()
        self.sent_events: dict[str, tuple[str, str]] = {}  # transmission id -> (time, raw body)
        self.signing_key = new_key()
        self.lose_next_answer = False

    @staticmethod
    def _error(status: int, name: str, message: str, **extra) -> tuple[int, str, dict]:
        return status, json.dumps({"name": name, "message": message, "debug_id": "f1e2d3c4b5a69", **extra}), {}

    def _bearer(self, headers) -> bool:
        auth = headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.tokens

    def handle(self, method, path, headers, body):
        self.requests.append((method, path))
        if method == "POST" and path == "/v1/oauth2/token":
            return self._token(headers, body)
        if not self._bearer(headers):
            return self._error(401, "AUTHENTICATION_FAILURE", "Authentication failed due to invalid authentication "
                               "credentials or a missing Authorization header.")
        if method == "POST" and path == "/v1/payments/payouts":
            return self._create(headers, body)
        found = re.fullmatch(r"/v1/payments/payouts/([A-Z0-9]+)", urlsplit(path).path)
        if method == "GET" and found:
            batch = self.batches.get(found.group(1))
            if batch is None:
                return self._error(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.")
            return 200, json.dumps(batch), {}
        if method == "POST" and path == "/v1/notifications/verify-webhook-signature":
            return 200, json.dumps({"verification_status": self._verify(json.loads(body or b"{}"))}), {}
        return self._error(404, "RESOURCE_NOT_FOUND", "The specified resource does not exist.")

    def _token(self, headers, body):
        auth = headers.get("Authorization", "")
        given = base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else ""
        form = dict(parse_qsl(body.decode()))
        if given != f"{self.client_id}:{self.client_secret}":
            return 401, json.dumps({"error": "invalid_client", "error_description": "Client Authentication failed"}), {}
        if form.get("grant_type") != "client_credentials":
            return 400, json.dumps({"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"}), {}
        token = f"A21AA{len(self.tokens):08d}{secrets.token_hex(8)}"
        self.tokens.add(token)
        return 200, json.dumps({"scope": "https://uri.paypal.com/services/payments/payouts", "access_token": token,
                                "token_type": "Bearer", "app_id": "APP-80W284485P519543T", "expires_in": 32400,
                                "nonce": "2026-11-30T15:00:00Zabc"}), {}

    def _create(self, headers, body):
        request_id = headers.get("PayPal-Request-Id")
        if request_id and request_id in self.by_request_id:  # the same request again: the first answer
            return (*self.by_request_id[request_id], {})
        data = json.loads(body or b"{}")
        header = data.get("sender_batch_header") or {}
        items = data.get("items") or []
        sender_batch_id = header.get("sender_batch_id")
        problems = []
        if not sender_batch_id:
            problems.append({"field": "sender_batch_header.sender_batch_id", "issue": "Required field missing"})
        for n, item in enumerate(items):
            amount = item.get("amount") or {}
            if not re.fullmatch(r"[0-9]+(\.[0-9]{2})?", str(amount.get("value", ""))) or \
                    not re.fullmatch(r"[A-Z]{3}", str(amount.get("currency", ""))):
                problems.append({"field": f"items[{n}].amount", "issue": "Invalid amount"})
            if not item.get("receiver") or (item.get("recipient_type") or header.get("recipient_type")) not in (
                    "EMAIL", "PHONE", "PAYPAL_ID"):
                problems.append({"field": f"items[{n}].receiver", "issue": "Invalid receiver"})
        if not items or problems:
            return self._error(400, "VALIDATION_ERROR", "Invalid request - see details.", details=problems)
        if sender_batch_id in self.by_sender_id:
            original = self.by_sender_id[sender_batch_id]
            return self._error(400, "USER_BUSINESS_ERROR", f"Batch with given sender_batch_id already exists: "
                               f"{sender_batch_id}", links=[{"href": f"{self.base}/v1/payments/payouts/{original}",
                                                             "rel": "self", "method": "GET"}])
        batch_id = f"5UXD2E8A{len(self.batches):05d}"
        self.by_sender_id[sender_batch_id] = batch_id
        self.batches[batch_id] = {
            "batch_header": {"payout_batch_id": batch_id, "batch_status": "PENDING",
                             "sender_batch_header": header, "time_created": "2026-11-30T15:00:00Z"},
            "items": [{"payout_item_id": f"8AELMXH8UB2P{len(self.batches):01d}{n}", "transaction_status": "PENDING",
                       "payout_batch_id": batch_id, "payout_item": item} for n, item in enumerate(items)]}
        for item in items:
            self.payments.append({"sender_item_id": item.get("sender_item_id"), "receiver": item["receiver"],
                                  "amount": item["amount"]["value"], "currency": item["amount"]["currency"]})
        answer = (201, json.dumps({"batch_header": {"payout_batch_id": batch_id, "batch_status": "PENDING",
                                                    "sender_batch_header": header},
                                   "links": [{"href": f"{self.base}/v1/payments/payouts/{batch_id}", "rel": "self",
                                              "method": "GET"}]}))
        if request_id:
            self.by_request_id[request_id] = answer
        if self.lose_next_answer:
            self.lose_next_answer = False
            return self._error(500, "INTERNAL_SERVER_ERROR", "An internal server error occurred.")
        return (*answer, {})

    def finish(self) -> None:
        """PayPal processes every pending batch: a known receiver is paid, a refusing one fails, others wait."""
        with self.lock:
            for batch in self.batches.values():
                for item in batch["items"]:
                    receiver = item["payout_item"]["receiver"]
                    if item["transaction_status"] != "PENDING":
                        continue
                    if receiver in self.refusing:
                        item["transaction_status"] = "FAILED"
                        item["errors"] = {"name": "RECEIVER_UNREGISTERED",
                                          "message": self.ITEM_ERRORS["RECEIVER_UNREGISTERED"]}
                    elif receiver in self.receivers:
                        item["transaction_status"] = "SUCCESS"
                    else:
                        item["transaction_status"] = "UNCLAIMED"
                batch["batch_header"]["batch_status"] = "SUCCESS"

    def event_for(self, batch_id: str, event_type: str = "PAYMENT.PAYOUTS-ITEM.SUCCEEDED") -> tuple[dict, str]:
        """A webhook as PayPal posts it: ``(headers, raw body)``, signed over
        ``transmission_id|transmission_time|webhook_id|crc32(body)`` with PayPal's key."""
        item = self.batches[batch_id]["items"][0]
        resource = {**item} if event_type.startswith("PAYMENT.PAYOUTS-ITEM.") else self.batches[batch_id]
        event = {"id": f"WH-{len(self.sent_events):04d}-7G6552347X9402323", "event_version": "1.0",
                 "create_time": "2026-11-30T15:00:00Z", "resource_type": "payouts_item"
                 if event_type.startswith("PAYMENT.PAYOUTS-ITEM.") else "payouts",
                 "event_type": event_type, "summary": "Payout item status changed", "resource": resource}
        raw = json.dumps(event)
        transmission_id = f"69cd13f0-d67a-11e5-baa3-{len(self.sent_events):012d}"
        when = "2026-11-30T15:00:01Z"
        self.sent_events[transmission_id] = (when, raw)
        signature = sign(self.signing_key, f"{transmission_id}|{when}|{self.webhook_id}|{zlib.crc32(raw.encode())}")
        return {"PAYPAL-TRANSMISSION-ID": transmission_id, "PAYPAL-TRANSMISSION-TIME": when,
                "PAYPAL-TRANSMISSION-SIG": signature, "PAYPAL-AUTH-ALGO": "SHA256withRSA",
                "PAYPAL-CERT-URL": f"{self.base}/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77",
                "Content-Type": "application/json"}, raw

    def _verify(self, given: dict) -> str:
        """SUCCESS when the signature is PayPal's over this transmission, this webhook and this event."""
        sent = self.sent_events.get(str(given.get("transmission_id")))
        if sent is None or given.get("webhook_id") != self.webhook_id or given.get("auth_algo") != "SHA256withRSA":
            return "FAILURE"
        when, raw = sent
        if given.get("transmission_time") != when or given.get("webhook_event") != json.loads(raw):
            return "FAILURE"
        message = f"{given['transmission_id']}|{when}|{self.webhook_id}|{zlib.crc32(raw.encode())}"
        return "SUCCESS" if verify(self.signing_key.public_key(), message, str(given.get("transmission_sig"))) \
            else "FAILURE"
