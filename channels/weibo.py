"""Weibo 微博: topics written ``#话题#``, links clickable, 140 shown before "expand".

The brand's own account is posted to by ``POST /2/statuses/share.json``
(open.weibo.com/wiki/2/statuses/share), after an OAuth 2.0 connect (no PKCE;
client credentials as form fields; no refresh token for ordinary apps, so an
expired connection asks the brand to connect again). The share endpoint's rules,
applied here: the text is at most 140 Chinese characters (two Latin letters count
as one), contains no ``#话题词#``, and must contain a link on the app's
secure domain (安全域名, set in the Weibo app's settings); one picture
(JPEG/GIF/PNG under 5 MB); ``rip`` is the real IP of the person acting.

Errors come as ``{"error", "error_code", "request"}``: 21314–21317, 21327, 21332
(token expired or invalid) → :class:`TokenExpired`; 10022–10024 (rate limits,
counted per hour) → retryable at the next hour; 20019 (repeated content) and
the rest → final.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

from channels.base import (
    BasePublisher,
    Channel,
    OutgoingPost,
    PostMetrics,
    PublishError,
    PublishResult,
    TokenExpired,
    same_post_text,
    text_field,
)
from channels.oauth import OAuthProvider
from channels.remote import call, json_body, rate_limited
from channels.spec import ChannelSpec, ImageSize
from channels.textcut import cut_text

DEFAULT_API_BASE = "https://api.weibo.com"
SHARE_LIMIT = 140
MAX_PICTURE_BYTES = 5 * 1024 * 1024
OAUTH = OAuthProvider(platform="weibo", authorize_url=f"{DEFAULT_API_BASE}/oauth2/authorize",
                      token_url=f"{DEFAULT_API_BASE}/oauth2/access_token", scopes=(), pkce=False,
                      basic_auth=False, scope_separator=",")
TOKEN_ERRORS = frozenset({21314, 21315, 21316, 21317, 21327, 21332})
RATE_LIMIT_ERRORS = frozenset({10022, 10023, 10024})
_TOPIC = re.compile(r"#([^#\n]{1,64})#")


def weibo_length(text: str) -> int:
    """Weibo's count: a Chinese (non-ASCII) character is one, two ASCII characters are one."""
    return math.ceil(sum(1 if ord(c) > 127 else 0.5 for c in text))


def share_text(text: str, link: str | None, secure_domain: str) -> str:
    """The status as ``statuses/share`` accepts it: topics unwrapped, the link kept whole at the end,
    the rest cut at a clause boundary to fit 140.

    :raise PublishError: no link, or one outside the secure domain (final: the share endpoint refuses it).
    """
    host = (urlsplit(link).hostname or "") if link else ""
    domain = secure_domain.lower().lstrip(".")
    if not link or not (host == domain or host.endswith("." + domain)):
        raise PublishError(f"Weibo's share API only takes posts with a link on the app's secure domain "
                           f"({domain or 'not set'}); this post's link is {host or 'missing'}", retryable=False)
    body = _TOPIC.sub(r"\1", text.replace(link, " ")).strip()
    room = SHARE_LIMIT - weibo_length(" " + link)
    body, _ = cut_text(body, room, length=weibo_length)
    return f"{body} {link}".strip()


class WeiboPublisher(BasePublisher):
    channel = "weibo"
    fields = ("access_token", "api_base", "secure_domain", "operator_ip", "uid")
    oauth = OAUTH

    def check(self, credentials: dict, allow_private: bool, errors: dict) -> dict:
        return {name: text_field(credentials, name, errors, required=name == "access_token", max_length=2000)
                for name in self.fields}

    def publish(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult:
        status = share_text(post.text, post.link, credentials.get("secure_domain") or "")
        form = {"access_token": credentials["access_token"], "status": status,
                "rip": credentials.get("operator_ip") or "127.0.0.1"}
        files = None
        if post.images:
            picture = post.images[0]
            if picture.data is None:
                raise PublishError("Weibo needs the picture's bytes to upload it", retryable=False)
            if len(picture.data) >= MAX_PICTURE_BYTES:
                raise PublishError("the picture is 5 MB or more; Weibo takes smaller ones", retryable=False)
            files = {"pic": (picture.filename, picture.data, picture.content_type)}
        body = self._request("POST", "/2/statuses/share.json", credentials, allow_private, data=form, files=files)
        status_id = body.get("idstr") or body.get("mid") or body.get("id")
        if not status_id:
            raise PublishError("Weibo answered no status id", retryable=False)
        return PublishResult(external_id=str(status_id), detail={"text": status})

    def find(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult | None:
        """The account's recent status with this text, if an earlier attempt sent it
        (``statuses/user_timeline``, the latest 20 of the connected ``uid``)."""
        if not credentials.get("uid"):
            return None
        status = share_text(post.text, post.link, credentials.get("secure_domain") or "")
        body = self._request("GET", "/2/statuses/user_timeline.json", credentials, allow_private,
                             params={"access_token": credentials["access_token"], "uid": credentials["uid"],
                                     "count": 20})
        items = body.get("statuses") if isinstance(body, dict) else None
        for item in items or []:
            if same_post_text(status, item.get("text") or ""):
                return PublishResult(external_id=str(item.get("idstr") or item.get("id")), detail={"found": True})
        return None

    def metrics(self, external_ids: list[str], credentials: dict, allow_private: bool) -> dict[str, PostMetrics]:
        """Comments, reposts and likes (attitudes) of up to 100 statuses by ``statuses/count``."""
        rows = self._request("GET", "/2/statuses/count.json", credentials, allow_private,
                             params={"access_token": credentials["access_token"], "ids": ",".join(external_ids[:100])})
        return {str(r.get("id")): PostMetrics(likes=r.get("attitudes"), reposts=r.get("reposts"),
                                              replies=r.get("comments"))
                for r in rows if isinstance(r, dict)} if isinstance(rows, list) else {}

    def _request(self, method: str, path: str, credentials: dict, allow_private: bool, **kwargs):
        url = f"{credentials.get('api_base') or DEFAULT_API_BASE}{path}"
        res = call("Weibo", method, url, allow_private, self.timeout, **kwargs)
        body = json_body(res)
        if res.status_code == 200 and not (isinstance(body, dict) and body.get("error_code")):
            return body
        code = body.get("error_code") if isinstance(body, dict) else None
        error = str(body.get("error") if isinstance(body, dict) else "") or f"HTTP {res.status_code}"
        error = error.replace(credentials["access_token"], "<token>")[:300]
        if code in TOKEN_ERRORS:
            raise TokenExpired(f"Weibo refused the access token ({code} {error})")
        if code in RATE_LIMIT_ERRORS:
            now = datetime.now(timezone.utc)
            raise rate_limited("Weibo", 3600 - (now.minute * 60 + now.second), code)
        raise PublishError(f"Weibo refused the post: {error} ({code or res.status_code})",
                           retryable=res.status_code >= 500 or code in (10001, 10009))


SPEC = ChannelSpec(
    id="weibo",
    timeline_width=240,
    long_press_qr=True,
    name="Weibo",
    name_zh="微博",
    text_limit=2000,
    preview_limit=140,
    hashtag_style="weibo",
    link_policy="clickable",
    max_images=9,
    image_sizes=(ImageSize("feed", 1080, 1080), ImageSize("portrait", 1080, 1350)),
    personal_voice=True,
    publish_kind="kit",
    unconfirmed=("max_images", "timeline_width", "long_press_qr"),
)

CHANNEL = Channel(SPEC, publisher=WeiboPublisher())
