"""Fake social platforms on 127.0.0.1, speaking what each platform's API documentation describes.

Each checks what the real one checks (bearer tokens it issued and that have
not expired, PKCE verifiers against the stored challenge, rotated refresh
tokens, required fields, limits), answers in the platform's shapes and error
codes, and sends its rate-limit headers.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from servers import _form, serve_in_background


class FakePlatform:
    """A ThreadingHTTPServer whose handler calls ``self.answer(method, path, query, headers, fields, files)``,
    which returns ``(status, json payload, headers)``; a ``Location`` header makes a redirect."""

    def __init__(self) -> None:
        owner = self
        self.lock = threading.Lock()
        self.calls: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def _handle(self, method):
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
                    fields, files = form_fields(parse_qsl(body.decode())), {}
                elif headers.get("content-type", "").startswith("image/"):  # a raw upload (Bluesky, LinkedIn)
                    fields, files = {}, {"body": {"type": headers["content-type"], "data": body}}
                else:
                    fields, files = _form(headers, body)
                query = form_fields(parse_qsl(parts.query))
                with owner.lock:
                    owner.calls.append({"method": method, "path": parts.path, "query": query, "headers": headers,
                                        "fields": fields, "files": files})
                    status, payload, extra = owner.answer(method, parts.path, query, headers, fields, files)
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                for k, v in {"Content-Type": "application/json; charset=utf-8", **extra}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                self._handle("GET")

            def do_POST(self):  # noqa: N802
                self._handle("POST")

            def do_PUT(self):  # noqa: N802
                self._handle("PUT")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        serve_in_background(self.httpd)

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def paths(self) -> list[str]:
        return [c["path"] for c in self.calls]


def form_fields(pairs: list[tuple[str, str]]) -> dict:
    """Form or query pairs as a dict; a ``name[]`` key becomes a list (Rails' arrays, as Mastodon reads
    them), and so does any key given more than once (XRPC's arrays: ``uris=…&uris=…``)."""
    out: dict = {}
    for key, value in pairs:
        if key.endswith("[]"):
            out.setdefault(key, []).append(value)
        elif key in out:
            out[key] = [*out[key], value] if isinstance(out[key], list) else [out[key], value]
        else:
            out[key] = value
    return out


_URL = re.compile(r"https?://\S+")


def shorten(text: str, host: str) -> str:
    """What X (t.co) and Weibo (t.cn) store: every link wrapped by their shortener."""
    return _URL.sub(lambda m: f"https://{host}/{hashlib.sha1(m.group().encode()).hexdigest()[:10]}", text)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class FakeX(FakePlatform):
    """X API v2: OAuth 2.0 with PKCE (``/i/oauth2/authorize``, ``/2/oauth2/token`` with HTTP Basic client
    auth, rotating refresh tokens), ``/2/media/upload``, ``POST /2/tweets``, ``GET /2/tweets``.
    Every API answer carries ``x-rate-limit-limit/remaining/reset``; the post endpoint allows
    ``post_limit`` calls per window, then answers 429."""

    def __init__(self, client_id="x-client", client_secret="x-secret", post_limit=100, reset_in=900):
        self.client_id, self.client_secret = client_id, client_secret
        self.post_limit, self.reset_at = post_limit, int(time.time()) + reset_in
        self.codes: dict[str, dict] = {}
        self.access: dict[str, float] = {}  # token → expires (epoch)
        self.refresh_tokens: set[str] = set()
        self.media: set[str] = set()
        self.tweets: dict[str, dict] = {}
        self.post_calls = 0
        super().__init__()

    # What a marketer's browser does at X: approve, come back with a code.
    def authorize(self, query: dict) -> tuple[int, dict, dict]:
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return 400, {"error": "invalid_request"}, {}
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return 400, {"error": "invalid_request", "error_description": "PKCE S256 required"}, {}
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"challenge": query["code_challenge"], "redirect_uri": query["redirect_uri"]}
        location = f"{query['redirect_uri']}?{urlencode({'state': query.get('state', ''), 'code': code})}"
        return 302, {}, {"Location": location}

    def issue(self, expires_in=7200) -> dict:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access[access] = time.time() + expires_in
        self.refresh_tokens.add(refresh)
        return {"token_type": "bearer", "expires_in": expires_in, "access_token": access,
                "scope": "tweet.read tweet.write users.read media.write offline.access", "refresh_token": refresh}

    def expire(self, token: str) -> None:
        self.access[token] = 0

    def token(self, headers, fields):
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if headers.get("authorization") != expected:
            return 401, {"error": "unauthorized_client", "error_description": "Missing valid authorization header"}, {}
        if fields.get("grant_type") == "authorization_code":
            grant = self.codes.pop(fields.get("code", ""), None)
            if grant is None or grant["redirect_uri"] != fields.get("redirect_uri") \
                    or s256(fields.get("code_verifier", "")) != grant["challenge"]:
                return 400, {"error": "invalid_request",
                             "error_description": "Value passed for the authorization code was invalid."}, {}
            return 200, self.issue(), {}
        if fields.get("grant_type") == "refresh_token":
            if fields.get("refresh_token") not in self.refresh_tokens:
                return 400, {"error": "invalid_request",
                             "error_description": "Value passed for the token was invalid."}, {}
            self.refresh_tokens.discard(fields["refresh_token"])  # rotated: each refresh token works once
            return 200, self.issue(), {}
        return 400, {"error": "unsupported_grant_type"}, {}

    def answer(self, method, path, query, headers, fields, files):
        if path == "/i/oauth2/authorize":
            return self.authorize(query)
        if path == "/2/oauth2/token":
            return self.token(headers, fields)
        rate = {"x-rate-limit-limit": str(self.post_limit), "x-rate-limit-reset": str(self.reset_at),
                "x-rate-limit-remaining": str(max(0, self.post_limit - self.post_calls))}
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if self.access.get(token, 0) < time.time():
            return 401, {"title": "Unauthorized", "type": "about:blank", "status": 401,
                         "detail": "Unauthorized"}, rate
        if path == "/2/media/upload" and method == "POST":
            if "media" not in files or fields.get("media_category") != "tweet_image":
                return 400, {"title": "Invalid Request", "detail": "media and media_category required"}, rate
            media_id = str(1880028106020515840 + len(self.media))
            self.media.add(media_id)
            return 200, {"data": {"id": media_id, "media_key": f"3_{media_id}", "size": len(files["media"]["data"]),
                                  "expires_after_secs": 86400}}, rate
        if path == "/2/tweets" and method == "POST":
            self.post_calls += 1
            if self.post_calls > self.post_limit:
                rate["x-rate-limit-remaining"] = "0"
                return 429, {"title": "Too Many Requests", "type": "about:blank", "status": 429,
                             "detail": "Too Many Requests"}, rate
            text = fields.get("text") or ""
            ids = (fields.get("media") or {}).get("media_ids") or []
            if not text and not ids or len(ids) > 4 or any(i not in self.media for i in ids):
                return 400, {"title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                             "type": "https://api.twitter.com/2/problems/invalid-request"}, rate
            if len(text) > 280:
                return 403, {"title": "Forbidden", "status": 403, "type": "about:blank",
                             "detail": "Your Tweet text is too long."}, rate
            if any(t["sent"] == text for t in self.tweets.values()):
                return 403, {"title": "Forbidden", "status": 403, "type": "about:blank",
                             "detail": "You are not allowed to create a Tweet with duplicate content."}, rate
            tweet_id = str(1445880548472328192 + len(self.tweets))
            self.tweets[tweet_id] = {"text": shorten(text, "t.co"), "sent": text, "media_ids": ids,
                                     "public_metrics": {"retweet_count": 2, "reply_count": 1, "like_count": 5,
                                                        "quote_count": 1, "bookmark_count": 0,
                                                        "impression_count": 120}}
            return 201, {"data": {"id": tweet_id, "text": self.tweets[tweet_id]["text"],
                                  "edit_history_tweet_ids": [tweet_id]}}, rate
        if path == "/2/users/me":
            return 200, {"data": {"id": "2244994945", "name": "Acme Tea", "username": "acmetea"}}, rate
        if path == "/2/users/2244994945/tweets":
            newest = sorted(self.tweets, reverse=True)[:int(query.get("max_results", 10))]
            return 200, {"data": [{"id": i, "text": self.tweets[i]["text"]} for i in newest],
                         "meta": {"result_count": len(newest)}}, rate
        if path == "/2/tweets" and method == "GET":
            wanted = [i for i in query.get("ids", "").split(",") if i]
            data = [{"id": i, "text": self.tweets[i]["text"],
                     **({"public_metrics": self.tweets[i]["public_metrics"]}
                        if "public_metrics" in query.get("tweet.fields", "") else {})}
                    for i in wanted if i in self.tweets]
            return 200, {"data": data}, rate
        return 404, {"title": "Not Found Error", "detail": path}, rate


def weibo_length(text: str) -> int:
    return -(-sum(2 if ord(c) > 127 else 1 for c in text) // 2)


class FakeWeibo(FakePlatform):
    """Weibo open platform: ``/oauth2/authorize``, ``/oauth2/access_token`` (client id and secret as form
    fields, no refresh token), ``/2/statuses/share.json`` with its documented rules (≤ 140, no ``#话题#``,
    a link on the secure domain, ``rip``, one ``pic``), ``/2/statuses/count.json``; errors as
    ``{"error", "error_code", "request"}``; ``post_limit`` shares, then 10023."""

    def __init__(self, client_id="wb-key", client_secret="wb-secret", secure_domain="sharecast.test", post_limit=100):
        self.client_id, self.client_secret, self.secure_domain = client_id, client_secret, secure_domain
        self.post_limit, self.post_calls = post_limit, 0
        self.codes: dict[str, str] = {}
        self.access: dict[str, float] = {}
        self.statuses: dict[str, dict] = {}
        super().__init__()

    @staticmethod
    def error(status, code, message, request):
        return status, {"error": message, "error_code": code, "request": request}, {}

    def answer(self, method, path, query, headers, fields, files):
        if path == "/oauth2/authorize":
            if query.get("client_id") != self.client_id or query.get("response_type") != "code":
                return self.error(400, 21323, "invalid_request", path)
            code = secrets.token_urlsafe(12)
            self.codes[code] = query["redirect_uri"]
            return 302, {}, {"Location": f"{query['redirect_uri']}?{urlencode({'state': query['state'], 'code': code})}"}
        if path == "/oauth2/access_token":
            if (fields.get("client_id"), fields.get("client_secret")) != (self.client_id, self.client_secret):
                return self.error(400, 21324, "invalid_client", path)
            if fields.get("grant_type") != "authorization_code" \
                    or self.codes.pop(fields.get("code", ""), None) != fields.get("redirect_uri"):
                return self.error(400, 21325, "invalid_grant", path)
            token = "2.00" + secrets.token_hex(12)
            self.access[token] = time.time() + 157679999
            return 200, {"access_token": token, "remind_in": "157679999", "expires_in": 157679999,
                         "uid": "1404376560", "isRealName": "true"}, {}
        token = fields.get("access_token") or query.get("access_token") or ""
        if token not in self.access:
            return self.error(400, 21332, "invalid_access_token", path)
        if self.access[token] < time.time():
            return self.error(400, 21327, "expired_token", path)
        if path == "/2/statuses/share.json" and method == "POST":
            self.post_calls += 1
            if self.post_calls > self.post_limit:
                return self.error(403, 10023, "User requests out of rate limit!", path)
            text, rip = fields.get("status", ""), fields.get("rip")
            if not text or not rip:
                return self.error(400, 10016, "miss required parameter (status, rip)", path)
            if weibo_length(text) > 140:
                return self.error(400, 20012, "Text too long, please input text less than 140 characters!", path)
            if "#" in text and text.count("#") >= 2:
                return self.error(400, 10008, "param error, see doc for more info", path)
            hosts = [urlsplit(w).hostname or "" for w in text.split() if w.startswith(("http://", "https://"))]
            if not any(h == self.secure_domain or h.endswith("." + self.secure_domain) for h in hosts):
                return self.error(400, 10017, "parameter (status)'s value invalid, url not in the secure domain", path)
            if len(files) > 1 or (files and "pic" not in files):
                return self.error(400, 10008, "param error, see doc for more info", path)
            if any(s["sent"] == text for s in self.statuses.values()):
                return self.error(400, 20019, "Repeat content!", path)
            idstr = str(3504803600502730 + len(self.statuses))
            self.statuses[idstr] = {"text": shorten(text, "t.cn"), "sent": text, "pic": files.get("pic"), "rip": rip}
            return 200, {"created_at": "Wed Oct 24 23:49:17 +0800 2012", "id": int(idstr), "mid": idstr,
                         "idstr": idstr, "text": self.statuses[idstr]["text"], "truncated": False}, {}
        if path == "/2/statuses/user_timeline.json":
            if query.get("uid") != "1404376560":
                return self.error(400, 20003, "User does not exists!", path)
            newest = sorted(self.statuses, reverse=True)[:int(query.get("count", 20))]
            return 200, {"statuses": [{"idstr": i, "id": int(i), "text": self.statuses[i]["text"]} for i in newest],
                         "total_number": len(self.statuses)}, {}
        if path == "/2/statuses/count.json":
            ids = [i for i in query.get("ids", "").split(",") if i in self.statuses]
            return 200, [{"id": int(i), "comments": 4, "reposts": 2, "attitudes": 9} for i in ids], {}
        return self.error(404, 10014, "Insufficient app permissions", path)


class FakeWechat(FakePlatform):
    """The Official Account API: ``stable_token`` (AppID and AppSecret; ``force_refresh`` makes a new
    token), ``material/add_material``, ``media/uploadimg``, ``draft/add``, ``freepublish/submit`` and
    ``freepublish/get`` (``status`` maps a publish_id to its publish_status; ``review`` is the status a
    new submission starts with), ``freepublish/batchget`` (successful publications, newest first),
    ``freepublish/getarticle`` and the JS-SDK's ``ticket/getticket?type=jsapi``; ``{"errcode", "errmsg"}`` errors (40001 unknown token, 42001 expired, 40007
    unknown media, 45003 title too long, 45011 per-minute quota after ``quota`` calls)."""

    def __init__(self, appid="wx0123456789abcdef", secret="0123456789abcdef0123456789abcdef", quota=1000):
        self.appid, self.secret, self.quota = appid, secret, quota
        self.tokens: dict[str, float] = {}
        self.current: str | None = None
        self.materials: dict[str, bytes] = {}
        self.hosted: list[str] = []
        self.drafts: dict[str, dict] = {}
        self.published: dict[str, dict] = {}
        self.status: dict[str, int] = {}
        self.review = 0
        self.lose_answers: set[str] = set()
        self.api_calls = 0
        super().__init__()

    @staticmethod
    def err(code, msg):
        return 200, {"errcode": code, "errmsg": f"{msg} rid: 6f1e-{code}"}, {}

    def answer(self, method, path, query, headers, fields, files):
        """As WeChat answers; a path in ``lose_answers`` (once) is done, then its answer lost (a 502
        from a proxy), as when a worker times out after WeChat took the call."""
        status, body, extra = self._api(path, query, fields, files, method)
        if path in self.lose_answers:
            self.lose_answers.discard(path)
            return 502, {"error": "bad gateway"}, {}
        return status, body, extra

    def _api(self, path, query, fields, files, method="POST"):
        if path == "/cgi-bin/stable_token":
            if fields.get("grant_type") != "client_credential" or fields.get("appid") != self.appid:
                return self.err(40013, "invalid appid")
            if fields.get("secret") != self.secret:
                return self.err(40125, "invalid appsecret")
            if fields.get("force_refresh") or self.current is None or self.tokens[self.current] < time.time():
                self.current = "ACCESS_" + secrets.token_hex(16)
                self.tokens[self.current] = time.time() + 7200
            return 200, {"access_token": self.current, "expires_in": 7200}, {}
        token = query.get("access_token", "")
        if token not in self.tokens:
            return self.err(40001, "invalid credential, access_token is invalid or not latest")
        if self.tokens[token] < time.time():
            return self.err(42001, "access_token expired")
        self.api_calls += 1
        if self.api_calls > self.quota:
            return self.err(45011, "api minute-quota reach limit  mustslower  retry next minute")
        if path == "/cgi-bin/ticket/getticket":
            if method != "GET" or query.get("type") != "jsapi":
                return self.err(40097, "invalid args")
            return 200, {"errcode": 0, "errmsg": "ok", "ticket": "TICKET_" + secrets.token_hex(16),
                         "expires_in": 7200}, {}
        if path == "/cgi-bin/material/add_material":
            if query.get("type") != "image" or "media" not in files:
                return self.err(40004, "invalid media type")
            media_id = "MEDIA_" + secrets.token_hex(8)
            self.materials[media_id] = files["media"]["data"]
            return 200, {"media_id": media_id, "url": f"http://mmbiz.qpic.cn/mmbiz_png/{media_id}/0"}, {}
        if path == "/cgi-bin/media/uploadimg":
            if "media" not in files:
                return self.err(41005, "media data missing")
            url = f"http://mmbiz.qpic.cn/mmbiz_jpg/{secrets.token_hex(8)}/0"
            self.hosted.append(url)
            return 200, {"url": url}, {}
        if path == "/cgi-bin/draft/add":
            articles = fields.get("articles") or []
            if not 1 <= len(articles) <= 8:
                return self.err(40002, "invalid articles")
            for a in articles:
                if not a.get("title") or len(a["title"]) > 32:
                    return self.err(45003, "title size out of limit")
                if a.get("thumb_media_id") not in self.materials:
                    return self.err(40007, "invalid media_id")
                if not a.get("content"):
                    return self.err(44004, "empty content")
            media_id = "DRAFT_" + secrets.token_hex(8)
            self.drafts[media_id] = {"articles": articles}
            return 200, {"media_id": media_id}, {}
        if path == "/cgi-bin/freepublish/submit":
            draft = self.drafts.pop(fields.get("media_id", ""), None)  # a published draft leaves the draft box
            if draft is None:
                return self.err(40007, "invalid media_id")
            publish_id = str(100000001 + len(self.published))
            self.published[publish_id] = draft
            self.status[publish_id] = self.review
            return 200, {"errcode": 0, "errmsg": "ok", "publish_id": publish_id}, {}
        if path == "/cgi-bin/freepublish/get":
            publish_id = str(fields.get("publish_id", ""))
            if publish_id not in self.published:
                return self.err(40007, "invalid publish_id")
            status = self.status[publish_id]
            if status != 0:  # no article yet (publishing) or none at all (refused)
                return 200, {"publish_id": publish_id, "publish_status": status,
                             "fail_idx": [1] if status in (2, 3, 4) else []}, {}
            return 200, {"publish_id": publish_id, "publish_status": 0, "article_id": f"ARTICLE_{publish_id}",
                         "article_detail": {"count": 1, "item": [
                             {"idx": 1, "article_url": f"http://mp.weixin.qq.com/s/{publish_id}"}]},
                         "fail_idx": []}, {}
        if path == "/cgi-bin/freepublish/batchget":
            count = fields.get("count")
            if not isinstance(count, int) or not 1 <= count <= 20 or fields.get("offset", 0) < 0:
                return self.err(40097, "invalid args")
            done = [p for p in reversed(list(self.published)) if self.status[p] == 0]
            page = done[fields.get("offset", 0):fields.get("offset", 0) + count]
            items = [{"article_id": f"ARTICLE_{p}", "update_time": int(time.time()), "content": {"news_item": [
                {**{k: v for k, v in a.items() if not (fields.get("no_content") == 1 and k == "content")},
                 "url": f"http://mp.weixin.qq.com/s/{p}", "is_deleted": False}
                for a in self.published[p]["articles"]]}} for p in page]
            return 200, {"total_count": len(done), "item_count": len(items), "item": items}, {}
        if path == "/cgi-bin/freepublish/getarticle":
            publish_id = str(fields.get("article_id", "")).removeprefix("ARTICLE_")
            if self.status.get(publish_id) != 0:
                return self.err(53600, "invalid article_id")
            return 200, {"news_item": [{**a, "url": f"http://mp.weixin.qq.com/s/{publish_id}", "is_deleted": False}
                                       for a in self.published[publish_id]["articles"]]}, {}
        return self.err(40066, "invalid url")


class FakeMastodon(FakePlatform):
    """A Mastodon instance (docs.joinmastodon.org): ``/oauth/authorize`` and ``/oauth/token`` (client
    credentials as form fields, PKCE S256 checked, tokens that never expire and no refresh token),
    ``POST /api/v2/media`` (``file`` + ``description``; 202 for the first ``processing`` uploads, then
    ``GET /api/v1/media/:id`` answers 206 once and 200), ``POST /api/v1/statuses`` (500 characters,
    URLs counted as 23, at most 4 processed media, ``Idempotency-Key`` kept an hour per account),
    ``GET /api/v1/statuses?id[]=``. Errors as ``{"error": …}``; every API answer carries
    ``X-RateLimit-Limit/Remaining/Reset`` (ISO 8601); ``post_limit`` statuses, then 429."""

    SCOPES = {"read", "write", "push", "profile", "read:statuses", "write:statuses", "write:media", "read:accounts"}

    def __init__(self, client_id="md-client", client_secret="md-secret", post_limit=300, reset_in=10800,
                 processing=0):
        self.client_id, self.client_secret = client_id, client_secret
        # Apps registered by POST /api/v1/apps: client_id → {secret, redirect_uris, scopes, name, website}.
        self.apps: dict[str, dict] = {client_id: {"secret": client_secret, "redirect_uris": None,
                                                  "scopes": {"read:statuses", "write:statuses", "write:media"}}}
        self.post_limit, self.post_calls, self.reset_at = post_limit, 0, time.time() + reset_in
        self.processing = processing
        self.codes: dict[str, dict] = {}
        self.tokens: set[str] = set()
        self.media: dict[str, dict] = {}
        self.statuses: dict[str, dict] = {}
        self.idempotency: dict[tuple[str, str], tuple[str, float]] = {}
        super().__init__()

    def issue(self) -> str:
        token = secrets.token_urlsafe(32)
        self.tokens.add(token)
        return token

    @staticmethod
    def length(text: str) -> int:
        return len(_URL.sub("x" * 23, text))

    def register(self, fields: dict) -> tuple[int, dict, dict]:
        """``POST /api/v1/apps`` (methods/apps): ``client_name`` and ``redirect_uris`` required, ``scopes``
        space-separated (default ``read``); 422 ``Validation failed: …`` otherwise."""
        name, uris = (fields.get("client_name") or "").strip(), fields.get("redirect_uris") or ""
        uris = uris if isinstance(uris, list) else uris.split()
        scopes = (fields.get("scopes") or "read").split()
        if not name:
            return 422, {"error": "Validation failed: Application name can't be blank"}, {}
        if not uris or any(not re.match(r"^[a-z][a-z0-9+.-]*:", u) or (u.startswith("http") and not urlsplit(u).netloc)
                           for u in uris):
            return 422, {"error": "Validation failed: Redirect URI must be an absolute URI."}, {}
        if not set(scopes) <= self.SCOPES:
            return 422, {"error": "Validation failed: Scopes doesn't match configured scopes"}, {}
        client_id, secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.apps[client_id] = {"secret": secret, "redirect_uris": uris, "scopes": set(scopes), "name": name,
                                "website": fields.get("website")}
        return 200, {"id": str(563419 + len(self.apps)), "name": name, "website": fields.get("website") or None,
                     "scopes": scopes, "redirect_uri": "\n".join(uris), "redirect_uris": uris,
                     "client_id": client_id, "client_secret": secret, "client_secret_expires_at": 0}, {}

    def answer(self, method, path, query, headers, fields, files):
        if path == "/api/v1/apps" and method == "POST":
            return self.register(fields)
        if path == "/oauth/authorize":
            registered = self.apps.get(query.get("client_id", ""))
            if registered is None or query.get("response_type") != "code" \
                    or not set(query.get("scope", "").split()) <= registered["scopes"]:
                return 400, {"error": "invalid_request"}, {}
            if registered["redirect_uris"] is not None and query.get("redirect_uri") not in registered["redirect_uris"]:
                return 400, {"error": "invalid_redirect_uri", "error_description": "The requested redirect uri is "
                             "malformed or doesn't match client redirect URI."}, {}
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"challenge": query.get("code_challenge"), "redirect_uri": query["redirect_uri"]}
            return 302, {}, {"Location": f"{query['redirect_uri']}?{urlencode({'state': query['state'], 'code': code})}"}
        if path == "/oauth/token":
            registered = self.apps.get(fields.get("client_id") or "")
            if registered is None or registered["secret"] != fields.get("client_secret"):
                return 401, {"error": "invalid_client", "error_description": "Client authentication failed due to "
                             "unknown client, no client authentication included, or unsupported authentication method."}, {}
            grant = self.codes.pop(fields.get("code", ""), None) if fields.get("grant_type") == "authorization_code" else None
            if grant is None or grant["redirect_uri"] != fields.get("redirect_uri") \
                    or (grant["challenge"] and s256(fields.get("code_verifier", "")) != grant["challenge"]):
                return 400, {"error": "invalid_grant", "error_description": "The provided authorization grant is "
                             "invalid, expired, revoked, does not match the redirection URI used in the "
                             "authorization request, or was issued to another client."}, {}
            return 200, {"access_token": self.issue(), "token_type": "Bearer",
                         "scope": "read:statuses write:statuses write:media", "created_at": int(time.time())}, {}
        rate = {"X-RateLimit-Limit": str(self.post_limit),
                "X-RateLimit-Remaining": str(max(0, self.post_limit - self.post_calls)),
                "X-RateLimit-Reset": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(self.reset_at))}
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return 401, {"error": "The access token is invalid"}, rate
        if path == "/api/v2/media" and method == "POST":
            if "file" not in files:
                return 422, {"error": "Validation failed: File can't be blank"}, rate
            if not files["file"]["type"].startswith("image/"):
                return 422, {"error": "Validation failed: File content type is invalid, File is invalid"}, rate
            if len(fields.get("description") or "") > 1500:
                return 422, {"error": "Validation failed: Description is too long (maximum is 1500 characters)"}, rate
            media_id = str(109000000000000000 + len(self.media))
            pending = self.processing > 0
            self.processing -= 1
            self.media[media_id] = {"data": files["file"]["data"], "description": fields.get("description"),
                                    "checks": 2 if pending else 0, "used": False}
            return (202 if pending else 200), {
                "id": media_id, "type": "image", "description": fields.get("description"),
                "url": None if pending else f"https://files.example/{media_id}.png"}, rate
        if path.startswith("/api/v1/media/") and method == "GET":
            media = self.media.get(path.rsplit("/", 1)[-1])
            if media is None:
                return 404, {"error": "Record not found"}, rate
            if media["checks"]:
                media["checks"] -= 1
                return 206, {"id": path.rsplit("/", 1)[-1], "url": None}, rate
            return 200, {"id": path.rsplit("/", 1)[-1], "url": "https://files.example/m.png"}, rate
        if path == "/api/v1/statuses" and method == "POST":
            key = headers.get("idempotency-key")
            kept = self.idempotency.get((token, key)) if key else None
            if kept and kept[1] > time.time():
                return 200, self.status_json(kept[0]), rate
            self.post_calls += 1
            if self.post_calls > self.post_limit:
                rate["X-RateLimit-Remaining"] = "0"
                return 429, {"error": "Too many requests"}, rate
            text, ids = fields.get("status") or "", fields.get("media_ids[]") or []
            if not text and not ids:
                return 422, {"error": "Validation failed: Text can't be blank"}, rate
            if self.length(text) > 500:
                return 422, {"error": "Validation failed: Text character limit of 500 exceeded"}, rate
            if len(ids) > 4:
                return 422, {"error": "Validation failed: Media attachments can't have more than 4 attachments"}, rate
            if any(i not in self.media or self.media[i]["used"] for i in ids):
                return 422, {"error": "Validation failed: Media attachments are invalid"}, rate
            if any(self.media[i]["checks"] for i in ids):
                return 422, {"error": "Cannot attach files that have not finished processing. Try again in a moment!"}, rate
            for i in ids:
                self.media[i]["used"] = True
            status_id = str(110000000000000000 + len(self.statuses))
            self.statuses[status_id] = {"text": text, "media_ids": ids, "visibility": fields.get("visibility")}
            if key:
                self.idempotency[(token, key)] = (status_id, time.time() + 3600)
            return 200, self.status_json(status_id), rate
        if path == "/api/v1/statuses" and method == "GET":
            return 200, [self.status_json(i) for i in query.get("id[]", []) if i in self.statuses], rate
        return 404, {"error": "Record not found"}, rate

    def status_json(self, status_id: str) -> dict:
        status = self.statuses[status_id]
        return {"id": status_id, "url": f"https://mastodon.example/@acmetea/{status_id}", "visibility": "public",
                "content": f"<p>{status['text']}</p>", "replies_count": 1, "reblogs_count": 3,
                "favourites_count": 7, "media_attachments": [{"id": i, "type": "image"} for i in status["media_ids"]]}


class FakeBluesky(FakePlatform):
    """A Bluesky PDS speaking XRPC (docs.bsky.app, the atproto lexicons): ``createSession`` (handle and app
    password; a DID document naming this server as ``#atproto_pds``), ``refreshSession`` (refresh JWTs
    work once), ``uploadBlob`` (raw image body, at most 1,000,000 bytes), ``createRecord`` of
    ``app.bsky.feed.post`` (300 graphemes, at most 4 images each with ``alt`` and a blob it holds,
    facets whose byte ranges must cover their link), ``listRecords``, ``app.bsky.feed.getPosts``.
    Errors as ``{"error", "message"}`` (``ExpiredToken`` 400, ``InvalidToken`` 401, ``RateLimitExceeded``
    429); every XRPC answer carries ``ratelimit-limit/remaining/reset/policy``; ``post_limit`` records,
    then 429. ``access_ttl``: seconds an access JWT lives."""

    did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"

    def __init__(self, handle="acmetea.bsky.social", app_password="abcd-efgh-ijkl-mnop", post_limit=100,
                 reset_in=3600, access_ttl=7200):
        self.handle, self.app_password = handle, app_password
        self.post_limit, self.post_calls, self.reset_at = post_limit, 0, int(time.time()) + reset_in
        self.access_ttl = access_ttl
        self.access: dict[str, float] = {}
        self.refresh: set[str] = set()
        self.blobs: dict[str, dict] = {}
        self.records: dict[str, dict] = {}
        self.sessions_created = 0
        super().__init__()

    def err(self, status, error, message, extra=None):
        return status, {"error": error, "message": message}, extra or {}

    def session(self) -> dict:
        access, refresh = "eyJ.acc." + secrets.token_urlsafe(24), "eyJ.ref." + secrets.token_urlsafe(24)
        self.access[access] = time.time() + self.access_ttl
        self.refresh.add(refresh)
        return {"accessJwt": access, "refreshJwt": refresh, "handle": self.handle, "did": self.did, "active": True,
                "didDoc": {"@context": ["https://www.w3.org/ns/did/v1"], "id": self.did,
                           "alsoKnownAs": [f"at://{self.handle}"],
                           "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                                        "serviceEndpoint": self.url()}]}}

    def answer(self, method, path, query, headers, fields, files):
        nsid = path.removeprefix("/xrpc/")
        bearer = headers.get("authorization", "").removeprefix("Bearer ")
        if nsid == "com.atproto.server.createSession":
            if fields.get("identifier") not in (self.handle, self.did) or fields.get("password") != self.app_password:
                return self.err(401, "AuthenticationRequired", "Invalid identifier or password")
            self.sessions_created += 1
            return 200, self.session(), {}
        if nsid == "com.atproto.server.refreshSession":
            if bearer not in self.refresh:
                return self.err(400, "ExpiredToken", "Token has expired")
            self.refresh.discard(bearer)
            return 200, self.session(), {}
        rate = {"ratelimit-limit": str(self.post_limit), "ratelimit-reset": str(self.reset_at),
                "ratelimit-remaining": str(max(0, self.post_limit - self.post_calls)),
                "ratelimit-policy": f"{self.post_limit};w=3600"}
        if bearer not in self.access:
            return self.err(401, "InvalidToken", "Token could not be verified", rate)
        if self.access[bearer] < time.time():
            return self.err(400, "ExpiredToken", "Token has expired", rate)
        if nsid == "com.atproto.repo.uploadBlob" and method == "POST":
            body = files.get("body")
            if body is None or not body["type"].startswith("image/"):
                return self.err(400, "InvalidRequest", "Request encoding (Content-Type) required", rate)
            if len(body["data"]) > 1_000_000:
                return self.err(400, "BlobTooLarge", "This file is too large. It is 1.02MB but the maximum size is 976.56KB.", rate)
            cid = "bafkrei" + hashlib.sha256(body["data"]).hexdigest()[:52]
            self.blobs[cid] = body
            return 200, {"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": body["type"],
                                  "size": len(body["data"])}}, rate
        if nsid == "com.atproto.repo.createRecord" and method == "POST":
            self.post_calls += 1
            if self.post_calls > self.post_limit:
                rate["ratelimit-remaining"] = "0"
                return self.err(429, "RateLimitExceeded", "Rate Limit Exceeded", rate)
            record = fields.get("record") or {}
            if fields.get("repo") not in (self.did, self.handle) or fields.get("collection") != "app.bsky.feed.post" \
                    or record.get("$type") != "app.bsky.feed.post" or not record.get("createdAt"):
                return self.err(400, "InvalidRequest", "Invalid app.bsky.feed.post record", rate)
            text = record.get("text") or ""
            if len(text) > 300:  # graphemes; the test texts have one code point per grapheme
                return self.err(400, "InvalidRequest",
                                "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes", rate)
            raw = text.encode()
            for facet in record.get("facets") or []:
                span = raw[facet["index"]["byteStart"]:facet["index"]["byteEnd"]].decode()
                feature = facet["features"][0]
                expected = feature.get("uri") or "#" + feature.get("tag", "")
                if span != expected:
                    return self.err(400, "InvalidRequest", "Invalid app.bsky.richtext.facet: byte range", rate)
            images = (record.get("embed") or {}).get("images") or []
            if len(images) > 4:
                return self.err(400, "InvalidRequest",
                                "Invalid app.bsky.feed.post record: Record/embed/images must not have more than 4 elements", rate)
            if any(not isinstance(i.get("alt"), str) or i["image"]["ref"]["$link"] not in self.blobs for i in images):
                return self.err(400, "InvalidRequest", "Invalid app.bsky.embed.images: image", rate)
            rkey = f"3l{len(self.records):011d}"
            uri = f"at://{self.did}/app.bsky.feed.post/{rkey}"
            self.records[uri] = {"value": record, "cid": "bafyrei" + secrets.token_hex(20)}
            return 200, {"uri": uri, "cid": self.records[uri]["cid"], "validationStatus": "valid"}, rate
        if nsid == "com.atproto.repo.listRecords":
            newest = list(reversed(self.records))[:int(query.get("limit", 50))]
            return 200, {"records": [{"uri": u, **self.records[u]} for u in newest]}, rate
        if nsid == "app.bsky.feed.getPosts":
            uris = query.get("uris") or []
            uris = [uris] if isinstance(uris, str) else uris
            if len(uris) > 25:
                return self.err(400, "InvalidRequest", "Error: uris must not have more than 25 elements", rate)
            return 200, {"posts": [{"uri": u, "cid": self.records[u]["cid"], "likeCount": 11, "repostCount": 2,
                                    "quoteCount": 1, "replyCount": 3} for u in uris if u in self.records]}, rate
        return self.err(501, "MethodNotImplemented", "Method Not Implemented", rate)


class FakeLinkedIn(FakePlatform):
    """LinkedIn's Community Management API: ``/oauth/v2/authorization`` and ``/oauth/v2/accessToken`` (client
    credentials as form fields; 60-day access tokens and a refresh token), ``/rest/organizationAcls``
    (``pages``: the organisations the member administers), ``/rest/images?action=initializeUpload`` then
    ``PUT`` to the upload URL, ``POST /rest/posts`` (URN in ``x-restli-id``; the ``LinkedIn-Version`` and
    Rest.li 2.0.0 headers required; commentary ≤ 3,000; 422 on duplicate commentary; ``multiImage``
    needs 2–20 images), ``GET /rest/posts?q=author``. Errors as ``{"status", "serviceErrorCode", "code",
    "message"}``; ``post_limit`` posts a day, then 429."""

    def __init__(self, client_id="li-client", client_secret="li-secret", post_limit=150,
                 pages=("urn:li:organization:2414183",)):
        self.client_id, self.client_secret, self.post_limit, self.post_calls = client_id, client_secret, post_limit, 0
        self.pages = list(pages)
        self.names = {"urn:li:organization:2414183": "Acme Tea", "urn:li:organization:1": "Acme Tea Europe"}
        self.codes: dict[str, str] = {}
        self.access: dict[str, float] = {}
        self.refresh_tokens: set[str] = set()
        self.uploads: dict[str, dict] = {}
        self.posts: dict[str, dict] = {}
        super().__init__()

    @staticmethod
    def err(status, message, code=None, service=None):
        body = {"status": status, "message": message}
        if code:
            body.update(code=code, serviceErrorCode=service)
        return status, body, {}

    def issue(self) -> dict:
        access, refresh = "AQV" + secrets.token_urlsafe(30), "AQX" + secrets.token_urlsafe(30)
        self.access[access] = time.time() + 5184000
        self.refresh_tokens.add(refresh)
        return {"access_token": access, "expires_in": 5184000, "refresh_token": refresh,
                "refresh_token_expires_in": 31536000, "scope": "r_organization_social,rw_organization_admin,"
                                                              "w_organization_social"}

    def share_statistics(self, query: dict) -> tuple[int, dict, dict]:
        """Organization Share Statistics: ``q=organizationalEntity``, the page, and ``shares=List(…)`` /
        ``ugcPosts=List(…)`` of URNs (decoded here from the Rest.li 2.0 encoding); lifetime figures per post."""
        if query.get("q") != "organizationalEntity" or query.get("organizationalEntity") not in self.pages:
            return self.err(403, "Not enough permissions to access: organizationalEntityShareStatistics.FINDER",
                            "ACCESS_DENIED", 100)
        elements = []
        for name, key in (("shares", "share"), ("ugcPosts", "ugcPost")):
            listed = query.get(name)
            if listed is None:
                continue
            match = re.fullmatch(r"List\((.*)\)", listed)
            if not match:
                return self.err(400, f"Invalid param. Please see errorDetails for more information. ({name})")
            for urn in filter(None, match.group(1).split(",")):
                post = self.posts.get(urn)
                if post is not None and post["author"] == query["organizationalEntity"]:
                    n = len(post["commentary"])
                    elements.append({key: urn, "organizationalEntity": post["author"], "totalShareStatistics": {
                        "uniqueImpressionsCount": 40 + n, "shareCount": 2, "engagement": 0.05, "clickCount": 6,
                        "likeCount": 11, "impressionCount": 90 + n, "commentCount": 4}})
        return 200, {"paging": {"count": 10, "start": 0, "links": []}, "elements": elements}, {}

    def answer(self, method, path, query, headers, fields, files):
        if path == "/oauth/v2/authorization":
            if query.get("client_id") != self.client_id or query.get("response_type") != "code":
                return self.err(400, "invalid_request")
            code = secrets.token_urlsafe(16)
            self.codes[code] = query["redirect_uri"]
            return 302, {}, {"Location": f"{query['redirect_uri']}?{urlencode({'state': query['state'], 'code': code})}"}
        if path == "/oauth/v2/accessToken":
            if (fields.get("client_id"), fields.get("client_secret")) != (self.client_id, self.client_secret):
                return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}, {}
            if fields.get("grant_type") == "authorization_code":
                if self.codes.pop(fields.get("code", ""), None) != fields.get("redirect_uri"):
                    return 400, {"error": "invalid_request", "error_description": "Unable to retrieve access token: "
                                 "appid/redirect uri/code verifier does not match authorization code."}, {}
                return 200, self.issue(), {}
            if fields.get("grant_type") == "refresh_token" and fields.get("refresh_token") in self.refresh_tokens:
                self.refresh_tokens.discard(fields["refresh_token"])
                return 200, self.issue(), {}
            return 400, {"error": "invalid_request", "error_description": "The provided authorization grant or "
                         "refresh token is invalid, expired or revoked."}, {}
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.access:
            return self.err(401, "Invalid access token", "REVOKED_ACCESS_TOKEN", 65601)
        if self.access[token] < time.time():
            return self.err(401, "The token used in the request has expired", "EXPIRED_ACCESS_TOKEN", 65601)
        if path.startswith("/dms-uploads/") and method == "PUT":
            image = self.uploads.get(path.rsplit("/", 1)[-1])
            if image is None or "body" not in files:
                return self.err(400, "Invalid upload")
            image["data"] = files["body"]["data"]
            return 201, {}, {}
        if headers.get("x-restli-protocol-version") != "2.0.0" or not re.fullmatch(r"20\d{4}",
                                                                                  headers.get("linkedin-version", "")):
            return self.err(426, "A version must be present. Please specify a version by adding the LinkedIn-Version "
                                 "header.", "VERSION_MISSING", 100)
        if path == "/rest/organizationAcls":
            if (query.get("q"), query.get("role"), query.get("state")) != ("roleAssignee", "ADMINISTRATOR", "APPROVED"):
                return self.err(400, "Invalid finder")
            return 200, {"elements": [{"organization": p, "role": "ADMINISTRATOR", "state": "APPROVED",
                                       "roleAssignee": "urn:li:person:8675309"} for p in self.pages],
                         "paging": {"count": 10, "start": 0, "total": len(self.pages)}}, {}
        if path.startswith("/rest/organizations/") and method == "GET":  # Organization Lookup, administered only
            urn = "urn:li:organization:" + path.rsplit("/", 1)[-1]
            if urn not in self.pages:
                return self.err(403, f"Not enough permissions to access: organizations.GET.20251001 {urn}")
            return 200, {"id": int(urn.rsplit(":", 1)[-1]), "localizedName": self.names.get(urn, "Page"),
                         "vanityName": self.names.get(urn, "page").lower().replace(" ", "-")}, {}
        if path == "/rest/images" and method == "POST" and query.get("action") == "initializeUpload":
            owner = (fields.get("initializeUploadRequest") or {}).get("owner")
            if owner not in self.pages:
                return self.err(403, f"Not enough permissions to access: owner {owner}", "ACCESS_DENIED", 100)
            key = secrets.token_hex(8)
            self.uploads[key] = {"urn": f"urn:li:image:C4E10AQ{key}", "data": None}
            return 200, {"value": {"uploadUrlExpiresAt": int(time.time() * 1000) + 86400000,
                                   "uploadUrl": self.url(f"/dms-uploads/{key}"),
                                   "image": f"urn:li:image:C4E10AQ{key}"}}, {}
        if path == "/rest/posts" and method == "POST":
            self.post_calls += 1
            if self.post_calls > self.post_limit:
                return self.err(429, "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.")
            if fields.get("author") not in self.pages or fields.get("lifecycleState") != "PUBLISHED":
                return self.err(403, "Not enough permissions to access: partnerApiPostsExternal.CREATE",
                                "ACCESS_DENIED", 100)
            commentary = fields.get("commentary") or ""
            if len(commentary) > 3000:
                return self.err(422, "/commentary :: length of string exceeds 3000", "FIELD_LENGTH_TOO_LONG", 100)
            content = fields.get("content") or {}
            images = [content["media"]] if "media" in content else (content.get("multiImage") or {}).get("images", [])
            if "multiImage" in content and not 2 <= len(images) <= 20:
                return self.err(422, "/content/multiImage/images :: array must have 2 to 20 items")
            uploaded = {u["urn"] for u in self.uploads.values() if u["data"] is not None}
            if any(i.get("id") not in uploaded for i in images):
                return self.err(422, "Image is not uploaded or in an invalid state")
            duplicate = next((u for u, p in self.posts.items() if p["commentary"] == commentary), None)
            if duplicate:
                return self.err(422, f"Content is a duplicate of {duplicate}", "DUPLICATE_POST", 100)
            urn = f"urn:li:share:{7100000000000000000 + len(self.posts)}"
            self.posts[urn] = {"commentary": commentary, "author": fields["author"], "images": images}
            return 201, {}, {"x-restli-id": urn}
        if path == "/rest/organizationalEntityShareStatistics" and method == "GET":
            return self.share_statistics(query)
        if path == "/rest/posts" and method == "GET" and query.get("q") == "author":
            mine = [u for u in reversed(list(self.posts)) if self.posts[u]["author"] == query.get("author")]
            return 200, {"elements": [{"id": u, "commentary": self.posts[u]["commentary"]}
                                      for u in mine[:int(query.get("count", 10))]]}, {}
        return self.err(404, f"Resource {path} does not exist")


class FakeFacebook(FakePlatform):
    """The Graph API (``/v21.0``): ``/dialog/oauth`` and ``/oauth/access_token`` (the code for a short-lived
    user token, client credentials as form fields; ``grant_type=fb_exchange_token`` for a long-lived one),
    ``/me/accounts`` (``pages``: each Page with its own token and tasks), ``POST /{page}/photos``
    (``source`` bytes, ``published``, ``caption``, ``alt_text_custom``), ``POST /{page}/feed`` (``message``,
    ``attached_media[n]`` of unpublished photos of this Page), ``GET /{page}/feed``, ``GET /?ids=``.
    Errors as ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``: 190 for an unknown
    or expired token, 506 for a duplicate post, 32 (with ``X-Page-Usage``) after ``post_limit`` posts."""

    V = "/v21.0"

    def __init__(self, client_id="fb-app", client_secret="fb-secret", post_limit=100, regain_minutes=25,
                 pages=(("104829", "Acme Tea"),)):
        self.client_id, self.client_secret = client_id, client_secret
        self.post_limit, self.post_calls, self.regain_minutes = post_limit, 0, regain_minutes
        self.pages = [{"id": i, "name": n, "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"]}
                      for i, n in pages]
        self.codes: dict[str, str] = {}
        self.user_tokens: dict[str, float] = {}
        self.page_tokens: dict[str, str] = {}  # token → page id
        self.photos: dict[str, dict] = {}
        self.posts: dict[str, dict] = {}
        super().__init__()

    @staticmethod
    def err(status, code, message, kind="OAuthException", subcode=None, extra=None):
        error = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf" + secrets.token_hex(4)}
        if subcode:
            error["error_subcode"] = subcode
        return status, {"error": error}, extra or {}

    def page_token(self, page_id: str) -> str:
        token = "EAAP" + secrets.token_urlsafe(30)
        self.page_tokens[token] = page_id
        return token

    def answer(self, method, path, query, headers, fields, files):
        if not path.startswith(self.V + "/"):
            return self.err(400, 2635, "You are calling a deprecated version of the Graph API.")
        path = path.removeprefix(self.V)
        args = {**query, **fields}
        if path == "/dialog/oauth":
            if args.get("client_id") != self.client_id or args.get("response_type") != "code":
                return self.err(400, 100, "Invalid client_id")
            code = secrets.token_urlsafe(16)
            self.codes[code] = args["redirect_uri"]
            return 302, {}, {"Location": f"{args['redirect_uri']}?{urlencode({'state': args['state'], 'code': code})}"}
        if path == "/oauth/access_token":
            if (args.get("client_id"), args.get("client_secret")) != (self.client_id, self.client_secret):
                return self.err(400, 1, "Error validating client secret.")
            if args.get("grant_type") == "fb_exchange_token":
                if self.user_tokens.get(args.get("fb_exchange_token", ""), 0) < time.time():
                    return self.err(400, 190, "Error validating access token: Session has expired", subcode=463)
                token = "EAAL" + secrets.token_urlsafe(30)
                self.user_tokens[token] = time.time() + 5183944
                return 200, {"access_token": token, "token_type": "bearer", "expires_in": 5183944}, {}
            if self.codes.pop(args.get("code", ""), None) != args.get("redirect_uri"):
                return self.err(400, 100, "This authorization code has been used.", subcode=36009)
            token = "EAAS" + secrets.token_urlsafe(30)
            self.user_tokens[token] = time.time() + 5400
            return 200, {"access_token": token, "token_type": "bearer", "expires_in": 5400}, {}
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if path == "/me/accounts":
            if self.user_tokens.get(token, 0) < time.time():
                return self.err(400, 190, "Error validating access token: Session has expired", subcode=463)
            asked = {f.split("{")[0] for f in re.split(r",(?![^{]*})", query.get("fields") or "id,name") if f}
            return 200, {"data": [{k: v for k, v in {**p, "access_token": self.page_token(p["id"]),
                                                     "category": "Tea Room"}.items() if k in asked | {"id"}}
                                  for p in self.pages], "paging": {}}, {}
        page = self.page_tokens.get(token)
        if page is None:
            return self.err(400, 190, "Error validating access token: The session has been invalidated because "
                                      "the user changed their password.", subcode=460)
        usage = {"X-Page-Usage": json.dumps({"call_count": min(100, self.post_calls), "total_cputime": 1,
                                             "total_time": 1, "estimated_time_to_regain_access": 0})}
        if path == f"/{page}/photos" and method == "POST":
            if "source" not in files:
                return self.err(400, 324, "Requires upload file", "GraphMethodException")
            photo_id = str(400000000000 + len(self.photos))
            published = fields.get("published", "true") == "true"
            self.photos[photo_id] = {"data": files["source"]["data"], "alt": fields.get("alt_text_custom"),
                                     "published": published, "attached": False}
            if not published:
                return 200, {"id": photo_id}, usage
            return self.create(page, fields.get("caption", ""), [photo_id], usage)
        if path == f"/{page}/feed" and method == "POST":
            attached = [json.loads(v)["media_fbid"] for k, v in sorted(fields.items()) if k.startswith("attached_media[")]
            if any(a not in self.photos or self.photos[a]["published"] or self.photos[a]["attached"] for a in attached):
                return self.err(400, 100, "Invalid parameter", "OAuthException")
            return self.create(page, fields.get("message", ""), attached, usage)
        if path == f"/{page}/feed" and method == "GET":
            newest = list(reversed(self.posts))[:int(query.get("limit", 25))]
            return 200, {"data": [{"id": i, "message": self.posts[i]["message"]} for i in newest]}, usage
        if path == "/" and method == "GET":
            ids = [i for i in query.get("ids", "").split(",") if i]
            if len(ids) > 50:
                return self.err(400, 100, "Too many IDs. Maximum: 50.")
            return 200, {i: {"id": i, "reactions": {"data": [], "summary": {"total_count": 12}},
                             "comments": {"data": [], "summary": {"total_count": 4}}, "shares": {"count": 2}}
                         for i in ids if i in self.posts}, usage
        return self.err(400, 100, f"Unsupported {method} request.", "GraphMethodException")

    def create(self, page, message, photo_ids, usage):
        self.post_calls += 1
        if self.post_calls > self.post_limit:
            usage["X-Page-Usage"] = json.dumps({"call_count": 100, "total_cputime": 10, "total_time": 10,
                                                "estimated_time_to_regain_access": self.regain_minutes})
            return self.err(400, 32, "Page request limit reached", extra=usage)
        if not message and not photo_ids:
            return self.err(400, 100, "Invalid parameter")
        if message and any(p["message"] == message for p in self.posts.values()):
            return self.err(400, 506, "Duplicate status message", subcode=1455006)
        post_id = f"{page}_{900000000 + len(self.posts)}"
        for photo_id in photo_ids:
            self.photos[photo_id]["attached"] = True
        self.posts[post_id] = {"message": message, "photos": photo_ids}
        return 200, ({"id": photo_ids[0], "post_id": post_id} if len(photo_ids) == 1 and
                     self.photos[photo_ids[0]]["published"] else {"id": post_id}), usage


class ImageHost:
    """A web server on 127.0.0.1 serving given bytes at given paths (an image's "public" URL in a test)."""

    def __init__(self) -> None:
        files = self.files = {}
        self.fetches: list[str] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                host.fetches.append(self.path)
                found = files.get(self.path)
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", found[1] if found else "text/plain")
                data = found[0] if found else b"not found"
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve_in_background(self.httpd)

    def put(self, path: str, data: bytes, content_type: str = "image/jpeg") -> str:
        self.files[path] = (data, content_type)
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeInstagram(FakeFacebook):
    """The Instagram Platform (Instagram API with Facebook Login) on the Graph API: the Facebook Login of
    :class:`FakeFacebook`, whose Pages carry an ``instagram_business_account``; ``POST /{ig}/media``
    (``image_url`` that the fake really fetches, which must answer 200 with a JPEG under 8 MiB, else the
    documented 9004/2207052 or 36001/2207004; ``caption`` ≤ 2,200 characters and ≤ 30 hashtags, else 100;
    ``is_carousel_item``; ``media_type=CAROUSEL`` with 2–10 ``children`` of this account), ``GET
    /{container}?fields=status_code,status`` (IN_PROGRESS for the first ``in_progress`` asks, then FINISHED;
    ERROR with ``status`` for a container listed in ``fail``), ``POST /{ig}/media_publish`` (``creation_id``
    FINISHED, not yet published; 9/2207042 past ``quota``), ``GET /{ig}/content_publishing_limit``,
    ``GET /{ig}/media`` (newest first), ``GET /?ids=`` with ``like_count,comments_count``. Errors in
    Facebook's shape; 190 for an unknown token; 4 (``X-App-Usage``) after ``call_limit`` API calls."""

    def __init__(self, accounts=(("104829", "Acme Tea", "17841405822304914", "acmetea"),), quota=50,
                 in_progress=1, call_limit=10_000, **kwargs):
        super().__init__(pages=tuple((p, n) for p, n, _i, _u in accounts), **kwargs)
        for page, (_p, _n, ig, username) in zip(self.pages, accounts):
            page["instagram_business_account"] = {"id": ig, "username": username}
        self.ig_of = {p: ig for p, _n, ig, _u in accounts}
        self.quota, self.in_progress, self.call_limit, self.api_calls = quota, in_progress, call_limit, 0
        self.containers: dict[str, dict] = {}
        self.media: dict[str, dict] = {}
        self.fetched: list[str] = []
        self.fail_status: str | None = None  # an ERROR container's status, for the next containers made

    def answer(self, method, path, query, headers, fields, files):
        bare = path.removeprefix(self.V)
        token = headers.get("authorization", "").removeprefix("Bearer ")
        page = self.page_tokens.get(token)
        ig = self.ig_of.get(page or "")
        if bare in ("/dialog/oauth", "/oauth/access_token", "/me/accounts") or not path.startswith(self.V + "/"):
            return super().answer(method, path, query, headers, fields, files)
        if ig is None:
            return self.err(400, 190, "Error validating access token: The session has been invalidated because "
                                      "the user changed their password.", subcode=460)
        self.api_calls += 1
        usage = {"X-App-Usage": json.dumps({"call_count": min(100, self.api_calls * 100 // max(1, self.call_limit)),
                                            "total_cputime": 1, "total_time": 1})}
        if self.api_calls > self.call_limit:
            return self.err(400, 4, "Application request limit reached", extra=usage)
        if bare == f"/{ig}/content_publishing_limit" and method == "GET":
            return 200, {"data": [{"quota_usage": self.published_today(ig),
                                   "config": {"quota_total": self.quota, "quota_duration": 86400}}]}, usage
        if bare == f"/{ig}/media" and method == "POST":
            return self.create_container(ig, fields, usage)
        if bare == f"/{ig}/media_publish" and method == "POST":
            return self.publish(ig, fields.get("creation_id", ""), usage)
        if bare == f"/{ig}/media" and method == "GET":
            newest = [m for m in reversed(list(self.media)) if self.media[m]["ig"] == ig][:int(query.get("limit", 25))]
            return 200, {"data": [{"id": m, "caption": self.media[m]["caption"],
                                   "timestamp": self.media[m]["timestamp"]} for m in newest]}, usage
        if bare.lstrip("/") in self.containers and method == "GET":
            c = self.containers[bare.lstrip("/")]
            if c["ig"] != ig:
                return self.err(400, 100, "Unsupported get request.", "GraphMethodException", 33)
            c["asked"] += 1
            if c["state"] == "IN_PROGRESS" and c["asked"] > self.in_progress:
                c["state"] = "FINISHED"
            return 200, {"id": bare.lstrip("/"), "status_code": c["state"],
                         **({"status": c["status"]} if c.get("status") else {})}, usage
        if bare == "/" and method == "GET":
            ids = [i for i in query.get("ids", "").split(",") if i]
            if len(ids) > 50:
                return self.err(400, 100, "Too many IDs. Maximum: 50.")
            return 200, {i: {"id": i, "like_count": 31, "comments_count": 5} for i in ids if i in self.media}, usage
        return self.err(400, 100, f"Unsupported {method} request.", "GraphMethodException")

    def published_today(self, ig: str) -> int:
        return sum(1 for m in self.media.values() if m["ig"] == ig and m["at"] > time.time() - 86400)

    def create_container(self, ig, fields, usage):
        caption = fields.get("caption", "")
        if len(caption) > 2200 or len(re.findall(r"#\w", caption)) > 30:
            return self.err(400, 100, "Invalid parameter", subcode=2207010,
                            extra={**usage, "x-error-detail": "caption"})
        container_id = str(17900000000000000 + len(self.containers))
        if fields.get("media_type") == "CAROUSEL":
            children = [c for c in fields.get("children", "").split(",") if c]
            if not 2 <= len(children) <= 10 or any(c not in self.containers or not self.containers[c]["item"]
                                                   or self.containers[c]["ig"] != ig for c in children):
                return self.err(400, 100, "Invalid parameter", subcode=2207028)
            if any(self.containers[c]["state"] != "FINISHED" for c in children):
                return self.err(400, 9007, "Media ID is not available", subcode=2207027)
            self.containers[container_id] = {"ig": ig, "item": False, "children": children, "caption": caption,
                                             "state": "IN_PROGRESS", "asked": 0, "published": False}
            return 200, {"id": container_id}, usage
        url = fields.get("image_url")
        if not url:
            return self.err(400, 100, "The parameter image_url is required.")
        try:  # Instagram's servers download the image (cURL): it must be reachable
            got = httpx.get(url, timeout=10)
        except httpx.HTTPError:
            got = None
        self.fetched.append(url)
        if got is None or got.status_code != 200:
            return self.err(400, 9004, "Only photo or video can be accepted as media type.", subcode=2207052,
                            extra=usage)
        if not got.content.startswith(b"\xff\xd8") or len(got.content) > 8 * 1024 * 1024:
            return self.err(400, 36001, "The image format is not supported.", subcode=2207004, extra=usage)
        self.containers[container_id] = {
            "ig": ig, "item": fields.get("is_carousel_item") == "true", "caption": caption, "image": got.content,
            "alt": fields.get("alt_text"), "asked": 0, "published": False,
            "state": "ERROR" if self.fail_status else "IN_PROGRESS", "status": self.fail_status}
        return 200, {"id": container_id}, usage

    def publish(self, ig, creation_id, usage):
        c = self.containers.get(creation_id)
        if c is None or c["ig"] != ig or c["item"]:
            return self.err(400, 100, "Invalid parameter", subcode=2207006)
        if self.published_today(ig) >= self.quota:
            return self.err(400, 9, "Application request limit reached", subcode=2207042, extra=usage)
        if c["state"] != "FINISHED":
            return self.err(400, 9007, "Media ID is not available", subcode=2207027, extra=usage)
        if c["published"]:
            return self.err(400, 9007, "Media ID is not available", subcode=2207027, extra=usage)
        c["published"] = True
        media_id = str(18000000000000000 + len(self.media))
        self.media[media_id] = {"ig": ig, "caption": c["caption"], "container": creation_id, "at": time.time(),
                                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime()),
                                "images": [self.containers[x]["image"] for x in c.get("children") or [creation_id]]}
        return 200, {"id": media_id}, usage
