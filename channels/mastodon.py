"""Mastodon: 500 characters (the default; an instance may allow more), links clickable, posted by API.

Built from the Mastodon API documentation (docs.joinmastodon.org, methods/statuses, methods/media,
methods/oauth, api/rate-limits). The brand's account lives on one instance, the one Sharecast's app
is registered on (``SHARECAST_MASTODON_API_BASE``). Connect: OAuth 2.0 authorization code with PKCE
(S256, Mastodon 4.3+), client credentials as form fields, scopes ``read:statuses write:statuses
write:media``. Mastodon's user tokens do not expire and come without a refresh token: a token the
instance refuses (revoked) asks the brand to connect again.

Publishing: each image by ``POST /api/v2/media`` (multipart ``file`` with ``description``, the alt
text); a 202 means the instance is still processing it, so ``GET /api/v1/media/:id`` is asked until
it answers 200 (206 while processing). Then ``POST /api/v1/statuses`` with ``status`` and up to four
``media_ids[]``, and the publication's key as ``Idempotency-Key``: Mastodon answers a repeat of the
same key (kept an hour) with the status it already made, so a retry after a lost answer posts once.

Answers: 401 → :class:`TokenExpired`; 429 → retryable after ``X-RateLimit-Reset`` (an ISO 8601
time); 5xx retryable; 422 and other 4xx final with Mastodon's ``error``. Metrics come from
``GET /api/v1/statuses?id[]=…`` (4.3+): favourites, boosts, replies.
"""
from __future__ import annotations

import time

import httpx

from channels.base import (
    Channel,
    OutgoingImage,
    OutgoingPost,
    PostMetrics,
    PublishError,
    PublishResult,
    alt_text,
)
from channels.oauth import OAuthProvider
from channels.remote import BearerPublisher, json_body, refused
from channels.spec import ChannelSpec, ImageSize

DEFAULT_API_BASE = "https://mastodon.social"
MAX_IMAGES = 4
MAX_ALT = 1500
METRICS_BATCH = 20
OAUTH = OAuthProvider(platform="mastodon", authorize_url=f"{DEFAULT_API_BASE}/oauth/authorize",
                      token_url=f"{DEFAULT_API_BASE}/oauth/token",
                      scopes=("read:statuses", "write:statuses", "write:media"), basic_auth=False)


class MastodonPublisher(BearerPublisher):
    channel, platform, default_api_base = "mastodon", "Mastodon", DEFAULT_API_BASE
    oauth = OAUTH

    def __init__(self, timeout: float = 30.0, media_waits: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0)) -> None:
        super().__init__(timeout)
        self.media_waits = media_waits

    def publish(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult:
        media_ids = [self._upload(post, image, credentials, allow_private) for image in post.images[:MAX_IMAGES]]
        form: dict = {"status": post.text, "visibility": "public"}
        if media_ids:
            form["media_ids[]"] = media_ids
        headers = {"Idempotency-Key": post.key} if post.key else {}
        status = json_body(self._request("POST", "/api/v1/statuses", credentials, allow_private,
                                         data=form, headers=headers))
        if not isinstance(status, dict) or not status.get("id"):
            raise PublishError("Mastodon answered no status id", retryable=False)
        return PublishResult(external_id=str(status["id"]), detail={"media_ids": media_ids, "url": status.get("url")})

    def metrics(self, external_ids: list[str], credentials: dict, allow_private: bool) -> dict[str, PostMetrics]:
        """Favourites, boosts and replies of the given statuses (20 a request); missing ones are left out.
        Mastodon counts no views."""
        found: dict[str, PostMetrics] = {}
        for start in range(0, len(external_ids), METRICS_BATCH):
            ids = [("id[]", i) for i in external_ids[start:start + METRICS_BATCH]]
            rows = json_body(self._request("GET", "/api/v1/statuses", credentials, allow_private, params=ids))
            for s in rows if isinstance(rows, list) else []:
                found[str(s.get("id"))] = PostMetrics(likes=s.get("favourites_count"), reposts=s.get("reblogs_count"),
                                                      replies=s.get("replies_count"))
        return found

    def _upload(self, post: OutgoingPost, image: OutgoingImage, credentials: dict, allow_private: bool) -> str:
        if image.data is None:
            raise PublishError("Mastodon needs the image's bytes to upload it", retryable=False)
        res = self._request("POST", "/api/v2/media", credentials, allow_private,
                            data={"description": alt_text(post, image, MAX_ALT)},
                            files={"file": (image.filename, image.data, image.content_type)})
        media = json_body(res)
        if not isinstance(media, dict) or not media.get("id"):
            raise PublishError("Mastodon media upload answered no media id", retryable=False)
        if res.status_code == 202:  # still processing: attachable once GET answers 200
            for wait in self.media_waits:
                time.sleep(wait)
                if self._request("GET", f"/api/v1/media/{media['id']}", credentials, allow_private).status_code == 200:
                    break
            else:
                raise PublishError("Mastodon is still processing the image; trying again later", retryable=True,
                                   retry_after=60)
        return str(media["id"])

    def _request(self, method: str, path: str, credentials: dict, allow_private: bool, **kwargs) -> httpx.Response:
        res = self.bearer_call(method, path, credentials, allow_private, **kwargs)
        if res.status_code < 300:
            return res
        body = json_body(res)
        detail = str((body.get("error") if isinstance(body, dict) else None) or f"HTTP {res.status_code}")
        detail = detail.replace(credentials["access_token"], "<token>")[:300]
        raise refused("Mastodon", res, detail, "x-ratelimit-reset")


SPEC = ChannelSpec(
    id="mastodon",
    name="Mastodon",
    name_zh="Mastodon（长毛象）",
    text_limit=500,  # the default; links count as 23 whatever their length, so a full URL over-counts
    hashtag_style="hash",
    link_policy="clickable",
    max_images=MAX_IMAGES,
    image_sizes=(ImageSize("feed", 1200, 675),),
    publish_kind="api",
    timeline_width=375,
    unconfirmed=("image_sizes", "timeline_width"),
)

CHANNEL = Channel(SPEC, publisher=MastodonPublisher())
