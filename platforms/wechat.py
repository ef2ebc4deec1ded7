"""WeChat Official Account (公众号) APIs: access token, JS-SDK ticket and signature, web OAuth.

Built from WeChat's Official Account documentation:

- ``POST /cgi-bin/stable_token`` ``{"grant_type": "client_credential", "appid", "secret",
  "force_refresh"}`` → ``{"access_token", "expires_in"}``. Tokens are cached and refreshed here,
  in one place, for every process (Redis), never fetched per request: WeChat limits the calls.
- ``GET /cgi-bin/ticket/getticket?access_token=&type=jsapi`` → ``{"errcode": 0, "ticket", "expires_in"}``,
  cached the same way. JS-SDK ``signature = sha1("jsapi_ticket=…&noncestr=…&timestamp=…&url=…")``
  over the raw values, the URL without its ``#`` part.
- Web authorisation (网页授权): the browser goes to
  ``open.weixin.qq.com/connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state#wechat_redirect``
  (``snsapi_base`` silent, ``snsapi_userinfo`` asks); the ``code`` it brings back is exchanged at
  ``GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code`` for ``openid``
  (``unionid`` when the account is bound to an Open Platform), then ``GET /sns/userinfo``.
- Website login (网站应用微信登录, WeChat Open Platform): a website app has its own app id and
  secret; on a computer the browser goes to
  ``open.weixin.qq.com/connect/qrconnect?appid&redirect_uri&response_type=code&scope=snsapi_login&state#wechat_redirect``,
  the user scans the QR code with WeChat and agrees, and the ``code`` comes back the same way and is
  exchanged at the same ``sns/oauth2/access_token`` (then ``sns/userinfo``). Its ``openid`` is the
  website app's own; the ``unionid``, the same for every app of one Open Platform account, is what
  ties it to the user's Official Account ``openid``. A website app's credentials are an
  :class:`OfficialAccount` too (app id, secret, API base): the calls are the same.
- Errors are ``{"errcode": n, "errmsg": "…"}``: 40029 invalid code, 40163 code already used,
  40001/42001 invalid or expired access token, 45009 over the call quota.

This is the one place that fetches the Official Account's access token: sign-in, the JS-SDK
ticket and posting articles (``brand_accounts/wechat_token.py``) all call :func:`access_token`
with the same :class:`TokenCache`. A second fetcher with its own cache would not do: a
``force_refresh`` by one ends the other's token early.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import httpx
from redis.exceptions import RedisError

API_BASE = "https://api.weixin.qq.com"
OPEN_BASE = "https://open.weixin.qq.com"
INVALID_TOKEN, INVALID_CODE, CODE_USED, TOKEN_EXPIRED = 40001, 40029, 40163, 42001
SCOPES = ("snsapi_base", "snsapi_userinfo")
QR_SCOPE = "snsapi_login"  # a website app's only scope
# Refresh this long before WeChat's expiry, so a token is never used in its last minutes.
EARLY_REFRESH_SECONDS = 300
JS_API_LIST = ("updateAppMessageShareData", "updateTimelineShareData")


class WeChatError(Exception):
    """WeChat answered an error (``errcode`` ≠ 0), or could not be reached (``errcode`` -2)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat error {errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


@dataclass(frozen=True)
class OfficialAccount:
    """An Official Account's app id and secret, and the API's base URL (a local fake in tests)."""

    app_id: str
    app_secret: str
    api_base: str = API_BASE


class TokenCache:
    """Access tokens and JS-SDK tickets in Redis, shared by every process; one fetch at a time per account.

    ``box``: a :class:`plumbing.vault.Vault` (anything with ``seal``/``open``) to keep the values
    sealed in Redis, as the app does; None keeps them in clear.
    """

    def __init__(self, redis, prefix: str = "sharecast:wechat", box=None) -> None:
        self.redis, self.prefix, self.box = redis, prefix, box

    def _key(self, kind: str, app_id: str) -> str:
        return f"{self.prefix}:{kind}:{app_id}"

    def get(self, kind: str, app_id: str) -> str | None:
        value = self.redis.get(self._key(kind, app_id))
        value = value.decode() if isinstance(value, bytes) else value
        return self.box.open(value) if value is not None and self.box is not None else value

    def put(self, kind: str, app_id: str, value: str, expires_in: int) -> None:
        stored = self.box.seal(value) if self.box is not None else value
        self.redis.set(self._key(kind, app_id), stored, ex=max(60, int(expires_in) - EARLY_REFRESH_SECONDS))

    def forget(self, kind: str, app_id: str) -> None:
        self.redis.delete(self._key(kind, app_id))

    def lock(self, kind: str, app_id: str):
        return self.redis.lock(self._key(f"lock-{kind}", app_id), timeout=15, blocking_timeout=10)


def checked(response: httpx.Response) -> dict:
    """The JSON of a WeChat answer. :raise WeChatError: ``errcode`` ≠ 0, or not a JSON object."""
    try:
        body = response.json()
    except ValueError:
        raise WeChatError(-1, f"not JSON (HTTP {response.status_code})") from None
    if not isinstance(body, dict):
        raise WeChatError(-1, "unexpected answer")
    if body.get("errcode") not in (None, 0):
        raise WeChatError(int(body["errcode"]), str(body.get("errmsg") or ""))
    return body


def _call(client: httpx.Client, method: str, url: str, **kwargs) -> dict:
    try:
        return checked(client.request(method, url, **kwargs))
    except httpx.HTTPError as exc:
        raise WeChatError(-2, f"unreachable: {exc}") from None


def _cached(cache: TokenCache, kind: str, app_id: str, fetch, refused: str | None = None) -> str:
    """The cached value, or the one ``fetch()`` returns (``(value, expires_in)``), fetched by one process.

    ``refused``: a value WeChat just refused; a cached value equal to it is fetched again (a
    different one was already renewed by another process and is used as it is).

    :raise WeChatError: the fetch failed, or the cache (Redis) did not answer or stayed locked (-3).
    """
    try:
        value = cache.get(kind, app_id)
        if value and value != refused:
            return value
        with cache.lock(kind, app_id):
            value = cache.get(kind, app_id)  # another process may have fetched it while we waited
            if value and value != refused:
                return value
            value, expires_in = fetch()
            cache.put(kind, app_id, value, expires_in)
            return value
    except RedisError as exc:  # LockError included: another process held the fetch too long
        raise WeChatError(-3, f"token cache unavailable: {exc}") from None


def access_token(account: OfficialAccount, client: httpx.Client, cache: TokenCache,
                 refused: str | None = None) -> str:
    """The account's access token (``stable_token``), cached.

    ``refused``: the token WeChat just called invalid or expired (40001, 42001); unless another
    process already renewed it, a new one is fetched with ``force_refresh`` (which ends the old one).

    :raise WeChatError: refused or unreachable.
    """

    def fetch() -> tuple[str, int]:
        body = _call(client, "POST", f"{account.api_base}/cgi-bin/stable_token",
                     json={"grant_type": "client_credential", "appid": account.app_id,
                           "secret": account.app_secret, "force_refresh": refused is not None})
        if not body.get("access_token"):
            raise WeChatError(-1, "no access_token in the answer")
        return str(body["access_token"]), int(body.get("expires_in") or 7200)

    return _cached(cache, "token", account.app_id, fetch, refused)


def jsapi_ticket(account: OfficialAccount, client: httpx.Client, cache: TokenCache) -> str:
    """The JS-SDK ticket, cached; a token WeChat calls invalid or expired is refreshed once.

    :raise WeChatError: refused or unreachable.
    """

    def fetch() -> tuple[str, int]:
        refused = None
        for attempt in range(2):
            token = access_token(account, client, cache, refused)
            try:
                body = _call(client, "GET", f"{account.api_base}/cgi-bin/ticket/getticket",
                             params={"access_token": token, "type": "jsapi"})
            except WeChatError as exc:
                if exc.errcode in (INVALID_TOKEN, TOKEN_EXPIRED) and attempt == 0:
                    refused = token
                    continue
                raise
            return str(body["ticket"]), int(body.get("expires_in") or 7200)
        raise WeChatError(TOKEN_EXPIRED, "the access token stayed invalid")  # pragma: no cover - loop returns

    return _cached(cache, "ticket", account.app_id, fetch)


def js_sdk_signature(ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    """SHA-1 of the four fields in name order, raw values, the URL without its fragment."""
    page = url.split("#", 1)[0]
    return hashlib.sha1(f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={page}"
                        .encode()).hexdigest()


def js_sdk_config(app_id: str, ticket: str, url: str, timestamp: int | None = None,
                  noncestr: str | None = None) -> dict:
    """What ``wx.config`` takes for the page at ``url``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    noncestr = noncestr or secrets.token_urlsafe(12)
    return {"appId": app_id, "timestamp": timestamp, "nonceStr": noncestr,
            "signature": js_sdk_signature(ticket, noncestr, timestamp, url), "jsApiList": list(JS_API_LIST)}


def authorize_url(app_id: str, redirect_uri: str, scope: str, state: str, open_base: str = OPEN_BASE) -> str:
    """Where to send the browser for web authorisation. :raise ValueError: unknown scope."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    query = urlencode({"appid": app_id, "redirect_uri": redirect_uri, "response_type": "code", "scope": scope,
                       "state": state}, quote_via=quote)
    return f"{open_base}/connect/oauth2/authorize?{query}#wechat_redirect"


def qr_login_url(app_id: str, redirect_uri: str, state: str, open_base: str = OPEN_BASE) -> str:
    """Where to send a computer's browser for a website app's QR-code login (``snsapi_login``)."""
    query = urlencode({"appid": app_id, "redirect_uri": redirect_uri, "response_type": "code", "scope": QR_SCOPE,
                       "state": state}, quote_via=quote)
    return f"{open_base}/connect/qrconnect?{query}#wechat_redirect"


@dataclass(frozen=True)
class Grant:
    """What a web-authorisation code is worth: the user's openid (and unionid) and a user token."""

    openid: str
    unionid: str | None
    scope: str
    access_token: str
    is_snapshotuser: bool = False


def exchange_code(account: OfficialAccount, code: str, client: httpx.Client) -> Grant:
    """Exchange the callback's ``code``. :raise WeChatError: 40029 invalid, 40163 used, or another refusal."""
    body = _call(client, "GET", f"{account.api_base}/sns/oauth2/access_token",
                 params={"appid": account.app_id, "secret": account.app_secret, "code": code,
                         "grant_type": "authorization_code"})
    if not body.get("openid"):
        raise WeChatError(-1, "no openid in the answer")
    return Grant(openid=str(body["openid"]), unionid=body.get("unionid") or None, scope=str(body.get("scope") or ""),
                 access_token=str(body.get("access_token") or ""), is_snapshotuser=body.get("is_snapshotuser") == 1)


def user_info(account: OfficialAccount, grant: Grant, client: httpx.Client) -> dict:
    """The user's profile (``nickname``, ``headimgurl``, ``unionid``?) for a ``snsapi_userinfo`` grant.

    :raise WeChatError: 42001 expired token, or another refusal.
    """
    return _call(client, "GET", f"{account.api_base}/sns/userinfo",
                 params={"access_token": grant.access_token, "openid": grant.openid, "lang": "zh_CN"})
