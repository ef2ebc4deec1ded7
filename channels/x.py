"""X: 280 weighted characters (CJK counts 2, any URL 23), posted by API.

X API v2 with OAuth 2.0 user context (authorization code with PKCE, scopes
``tweet.write media.write offline.access``): images go up by
``POST /2/media/upload`` (multipart ``media`` + ``media_category=tweet_image``),
then ``POST /2/tweets`` with ``{"text", "media": {"media_ids"}}``. Metrics come
from ``GET /2/tweets?ids=…&tweet.fields=public_metrics``.

Answers: 401 → :class:`TokenExpired`; 429 → retryable after
``x-rate-limit-reset`` (epoch seconds); 5xx retryable; other 4xx final, with
the problem's ``detail`` (e.g. 403 "duplicate content").
"""
from __future__ import annotations

import httpx

from channels.base import (
    Channel,
    OutgoingPost,
    PostMetrics,
    PublishError,
    PublishResult,
    same_post_text,
)
from channels.oauth import OAuthProvider
from channels.remote import BearerPublisher, json_body, refused
from channels.spec import ChannelSpec, ImageSize
from channels.textcut import X_LIMIT

DEFAULT_API_BASE = "https://api.x.com"
MAX_IMAGES = 4
OAUTH = OAuthProvider(platform="x", authorize_url="https://x.com/i/oauth2/authorize",
                      token_url=f"{DEFAULT_API_BASE}/2/oauth2/token",
                      scopes=("tweet.read", "tweet.write", "users.read", "media.write", "offline.access"))
# users.read lets an attempt that follows a lost one look the post up (find) instead of posting twice.


class XPublisher(BearerPublisher):
    channel, platform, default_api_base = "x", "X", DEFAULT_API_BASE
    oauth = OAUTH

    def publish(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult:
        media_ids = [self._upload(image, credentials, allow_private) for image in post.images[:MAX_IMAGES]]
        payload: dict = {"text": post.text}
        if media_ids:
            payload["media"] = {"media_ids": media_ids}
        res = self._request("POST", "/2/tweets", credentials, allow_private, json=payload)
        tweet = json_body(res).get("data") or {}
        if not tweet.get("id"):
            raise PublishError("X answered no post id", retryable=False)
        return PublishResult(external_id=str(tweet["id"]), detail={"media_ids": media_ids})

    def find(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult | None:
        """The brand's recent post with this text, if an earlier attempt sent it (a worker died before
        recording it): ``GET /2/users/me``, then ``GET /2/users/:id/tweets`` (the latest 20)."""
        me = json_body(self._request("GET", "/2/users/me", credentials, allow_private)).get("data") or {}
        if not me.get("id"):
            return None
        res = self._request("GET", f"/2/users/{me['id']}/tweets", credentials, allow_private,
                            params={"max_results": 20, "exclude": "retweets,replies"})
        for tweet in json_body(res).get("data") or []:
            if same_post_text(post.text, tweet.get("text") or ""):
                return PublishResult(external_id=str(tweet["id"]), detail={"found": True})
        return None

    def metrics(self, external_ids: list[str], credentials: dict, allow_private: bool) -> dict[str, PostMetrics]:
        """Public metrics of up to 100 posts (one request); missing posts are left out."""
        res = self._request("GET", "/2/tweets", credentials, allow_private,
                            params={"ids": ",".join(external_ids[:100]), "tweet.fields": "public_metrics"})
        found = {}
        for tweet in json_body(res).get("data") or []:
            m = tweet.get("public_metrics") or {}
            found[str(tweet.get("id"))] = PostMetrics(
                likes=m.get("like_count"), reposts=(m.get("retweet_count") or 0) + (m.get("quote_count") or 0),
                replies=m.get("reply_count"), views=m.get("impression_count"))
        return found

    def _upload(self, image, credentials: dict, allow_private: bool) -> str:
        if image.data is None:
            raise PublishError("X needs the image's bytes to upload it", retryable=False)
        res = self._request("POST", "/2/media/upload", credentials, allow_private,
                            data={"media_category": "tweet_image"},
                            files={"media": (image.filename, image.data, image.content_type)})
        media = json_body(res).get("data") or {}
        if not media.get("id"):
            raise PublishError("X media upload answered no media id", retryable=False)
        return str(media["id"])

    def _request(self, method: str, path: str, credentials: dict, allow_private: bool, **kwargs) -> httpx.Response:
        res = self.bearer_call(method, path, credentials, allow_private, **kwargs)
        if res.status_code < 300:
            return res
        body = json_body(res)
        detail = str(body.get("detail") or body.get("title") or f"HTTP {res.status_code}")[:300]
        raise refused("X", res, detail, "x-rate-limit-reset")


SPEC = ChannelSpec(
    id="x",
    timeline_width=290,
    unconfirmed=("timeline_width",),
    name="X",
    name_zh="X（推特）",
    text_limit=X_LIMIT,
    weighted_length="x",
    hashtag_style="hash",
    link_policy="clickable",
    max_images=MAX_IMAGES,
    image_sizes=(ImageSize("feed", 1600, 900),),
    publish_kind="api",
)

CHANNEL = Channel(SPEC, publisher=XPublisher())
