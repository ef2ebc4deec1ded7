"""Local fakes of the SMS providers and WeChat, built from their documentation, on 127.0.0.1.

Each checks what the real one checks: the signature (recomputed here from the
documented algorithm, independently of the code under test), the clock skew,
the number's shape, per-number limits; and answers in the documented shape
with the documented error codes.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime, timezone
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from servers import _Server


def _pct(value: str) -> str:
    return quote(value, safe="-_.~")


class FakeAliyunSms(_Server):
    """dysmsapi ``SendSms`` (RPC, signature 1.0, HMAC-SHA1)."""

    def __init__(self, key_id: str, secret: str, per_number_per_minute: int = 1) -> None:
        self.key_id, self.secret, self.limit = key_id, secret, per_number_per_minute
        self.sent: list[dict] = []
        self.nonces: set[str] = set()
        super().__init__()

    def answer(self, path, headers, body):
        query = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
        request_id = secrets.token_hex(8)

        def error(code, message, status=400):
            return status, {"RequestId": request_id, "Code": code, "Message": message}, {}

        if query.get("AccessKeyId") != self.key_id:
            return error("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        given = query.pop("Signature", "")
        canonical = "&".join(f"{_pct(k)}={_pct(v)}" for k, v in sorted(query.items()))
        to_sign = f"GET&%2F&{_pct(canonical)}"
        expected = base64.b64encode(hmac.new(f"{self.secret}&".encode(), to_sign.encode(), hashlib.sha1).digest())
        if not hmac.compare_digest(given.encode(), expected):
            return error("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        stamp = datetime.strptime(query.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        if abs((datetime.now(timezone.utc) - stamp).total_seconds()) > 900:
            return error("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        with self.lock:
            if query["SignatureNonce"] in self.nonces:
                return error("SignatureNonceUsed", "Specified signature nonce was used already.")
            self.nonces.add(query["SignatureNonce"])
        if query.get("Action") != "SendSms" or query.get("Version") != "2017-05-25":
            return error("InvalidParameter", "unknown action or version")
        number = query.get("PhoneNumbers", "")
        if not number.isdigit() or number.startswith("86"):
            return 200, {"RequestId": request_id, "Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}, {}
        with self.lock:
            recent = [s for s in self.sent if s["PhoneNumbers"] == number and time.time() - s["at"] < 60]
            if len(recent) >= self.limit:
                return 200, {"RequestId": request_id, "Code": "isv.BUSINESS_LIMIT_CONTROL",
                             "Message": "触发分钟级流控Permits:1"}, {}
            self.sent.append({**query, "at": time.time(), "param": json.loads(query["TemplateParam"])})
        return 200, {"RequestId": request_id, "Code": "OK", "Message": "OK", "BizId": f"biz{len(self.sent)}"}, {}


class FakeTencentSms(_Server):
    """``sms.tencentcloudapi.com`` ``SendSms`` 2021-01-11 (TC3-HMAC-SHA256)."""

    def __init__(self, secret_id: str, secret_key: str, per_number_per_hour: int = 5) -> None:
        self.secret_id, self.secret_key, self.limit = secret_id, secret_key, per_number_per_hour
        self.sent: list[dict] = []
        super().__init__()

    def _signature(self, headers: dict, body: bytes, date: str) -> str:
        lower = {k.lower(): v for k, v in headers.items()}
        canonical = "\n".join(["POST", "/", "", f"content-type:{lower['content-type']}", f"host:{lower['host']}",
                               f"x-tc-action:{lower['x-tc-action'].lower()}", "", "content-type;host;x-tc-action",
                               hashlib.sha256(body).hexdigest()])
        to_sign = "\n".join(["TC3-HMAC-SHA256", lower["x-tc-timestamp"], f"{date}/sms/tc3_request",
                             hashlib.sha256(canonical.encode()).hexdigest()])
        key = f"TC3{self.secret_key}".encode()
        for part in (date, "sms", "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()

    def answer(self, path, headers, body):
        lower = {k.lower(): v for k, v in headers.items()}
        request_id = secrets.token_hex(8)

        def error(code, message):
            return 200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}, {}

        auth = lower.get("authorization", "")
        try:
            credential = auth.split("Credential=")[1].split(",")[0]
            secret_id, date, service, _ = credential.split("/")
            signature = auth.split("Signature=")[1]
        except (IndexError, ValueError):
            return error("AuthFailure.InvalidAuthorization", "Authorization header is malformed")
        if secret_id != self.secret_id:
            return error("AuthFailure.SecretIdNotFound", "The SecretId is not found")
        stamp = int(lower.get("x-tc-timestamp", "0"))
        if abs(time.time() - stamp) > 300:
            return error("AuthFailure.SignatureExpire", "Signature expired")
        if date != f"{datetime.fromtimestamp(stamp, timezone.utc):%Y-%m-%d}" or service != "sms":
            return error("AuthFailure.SignatureFailure", "Credential scope does not match")
        if not hmac.compare_digest(signature, self._signature(headers, body, date)):
            return error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        if lower.get("x-tc-action") != "SendSms" or lower.get("x-tc-version") != "2021-01-11":
            return error("InvalidAction", "unknown action or version")
        payload = json.loads(body)
        number = payload["PhoneNumberSet"][0]
        with self.lock:
            recent = [s for s in self.sent if s["PhoneNumberSet"][0] == number and time.time() - s["at"] < 3600]
            if not number.startswith("+"):
                status = {"Code": "InvalidParameterValue.IncorrectPhoneNumber", "Message": "incorrect number"}
            elif len(recent) >= self.limit:
                status = {"Code": "LimitExceeded.PhoneNumberOneHourLimit", "Message": "hour limit"}
            else:
                self.sent.append({**payload, "at": time.time()})
                status = {"Code": "Ok", "Message": "send success", "SerialNo": f"2433:{len(self.sent)}"}
        status.update({"PhoneNumber": number, "Fee": 1, "SessionContext": "", "IsoCode": "CN"})
        return 200, {"Response": {"SendStatusSet": [status], "RequestId": request_id}}, {}


class FakeWeChat(_Server):
    """The Official Account endpoints: stable_token, getticket, sns/oauth2/access_token, sns/userinfo; and,
    with a website app (``web_app_id``, ``web_secret``), the Open Platform's QR-code login (connect/qrconnect,
    ``snsapi_login``) whose codes are exchanged at the same sns endpoints. A code is good for the app it was
    issued to only (another app's code is 40029, as WeChat answers), once (40163), and userinfo answers the
    unionid when the user has one."""

    def __init__(self, app_id: str, secret: str, web_app_id: str | None = None, web_secret: str | None = None) -> None:
        self.app_id, self.secret = app_id, secret
        self.apps = {app_id: secret, **({web_app_id: web_secret} if web_app_id else {})}
        self.web_app_id = web_app_id
        self.calls: list[str] = []
        self.tokens: dict[str, float] = {}  # access token → expiry
        self.codes: dict[str, dict] = {}  # authorisation code → {"appid", "openid", "unionid", "scope", "used"}
        self.user_tokens: dict[str, tuple[str, str | None]] = {}  # user token → (openid, unionid)
        self.expire_next_token = False
        self.next_user: tuple[str, str | None] = ("o-user", None)  # who "agrees" on the authorize page
        self.next_web_user: tuple[str, str | None] = ("w-user", None)  # who scans the QR code
        super().__init__()

    def issue_code(self, openid: str, scope: str = "snsapi_base", unionid: str | None = None,
                   appid: str | None = None) -> str:
        """What WeChat's authorize (or QR) page would put in the redirect after the user agreed."""
        code = secrets.token_hex(16)
        self.codes[code] = {"appid": appid or self.app_id, "openid": openid, "unionid": unionid, "scope": scope,
                            "used": False}
        return code

    def answer(self, path, headers, body):
        parts = urlsplit(path)
        query = dict(parse_qsl(parts.query))
        with self.lock:
            self.calls.append(parts.path)
            if parts.path == "/connect/oauth2/authorize":  # the user agrees at once, as ``next_user``
                if query.get("appid") != self.app_id or query.get("response_type") != "code":
                    return 400, {"errcode": 10003, "errmsg": "redirect_uri or appid mismatch"}, {}
                code = self.issue_code(self.next_user[0], query["scope"], self.next_user[1])
                back = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
                return 302, {}, {"Location": back}
            if parts.path == "/connect/qrconnect":  # the QR code is scanned and agreed to at once, as ``next_web_user``
                if query.get("appid") != self.web_app_id or query.get("response_type") != "code":
                    return 400, {"errcode": 10003, "errmsg": "redirect_uri or appid mismatch"}, {}
                if query.get("scope") != "snsapi_login":  # the page says 「Scope 参数错误或没有 Scope 权限」
                    return 400, {"errcode": 10005, "errmsg": "scope error"}, {}
                code = self.issue_code(self.next_web_user[0], "snsapi_login", self.next_web_user[1], self.web_app_id)
                back = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
                return 302, {}, {"Location": back}
            if parts.path == "/cgi-bin/stable_token":
                data = json.loads(body)
                if data.get("appid") != self.app_id or data.get("secret") != self.secret:
                    return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}, {}
                token = secrets.token_urlsafe(24)
                self.tokens[token] = time.time() + 7200
                return 200, {"access_token": token, "expires_in": 7200}, {}
            if parts.path == "/cgi-bin/ticket/getticket":
                token = query.get("access_token", "")
                if self.expire_next_token:
                    self.expire_next_token = False
                    self.tokens.pop(token, None)
                if token not in self.tokens:
                    return 200, {"errcode": 42001, "errmsg": "access_token expired"}, {}
                return 200, {"errcode": 0, "errmsg": "ok", "ticket": secrets.token_urlsafe(40), "expires_in": 7200}, {}
            if parts.path == "/sns/oauth2/access_token":
                if query.get("appid") not in self.apps or query.get("secret") != self.apps[query["appid"]]:
                    return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}, {}
                if query.get("grant_type") != "authorization_code":
                    return 200, {"errcode": 40002, "errmsg": "invalid grant_type"}, {}
                grant = self.codes.get(query.get("code", ""))
                if grant is None or grant["appid"] != query["appid"]:
                    return 200, {"errcode": 40029, "errmsg": "invalid code"}, {}
                if grant["used"]:
                    return 200, {"errcode": 40163, "errmsg": "code been used"}, {}
                grant["used"] = True
                user_token = secrets.token_urlsafe(24)
                self.user_tokens[user_token] = (grant["openid"], grant["unionid"])
                answer = {"access_token": user_token, "expires_in": 7200, "refresh_token": "r",
                          "openid": grant["openid"], "scope": grant["scope"], "is_snapshotuser": 0}
                if grant["unionid"]:
                    answer["unionid"] = grant["unionid"]
                return 200, answer, {}
            if parts.path == "/sns/userinfo":
                openid, unionid = self.user_tokens.get(query.get("access_token", ""), (None, None))
                if openid is None or openid != query.get("openid"):
                    return 200, {"errcode": 42001, "errmsg": "access_token expired"}, {}
                return 200, {"openid": openid, "nickname": "小林", "sex": 0, "province": "", "city": "",
                             "country": "", "headimgurl": "", "privilege": [],
                             **({"unionid": unionid} if unionid else {})}, {}
        return 404, {"errcode": 404, "errmsg": "not found"}, {}
