"""Mastodon: 500 characters (the default; an instance may allow more), links clickable, posted by API.

Built from the Mastodon API documentation (docs.joinmastodon.org, methods/statuses, methods/media,
methods/oauth, methods/apps, api/rate-limits). The brand's account may live on any instance: the
first connect to an instance registers Sharecast's app there (``POST /api/v1/apps``, see
:func:`register_app`; the registration is kept in brand_accounts), or a deployment may configure one
instance's registration (``SHARECAST_MASTODON_API_BASE`` and client id). Connect: OAuth 2.0 authorization code with PKCE
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

import re
import time
from urllib.parse import urlsplit

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
from plumbing import guarded_http

DEFAULT_API_BASE = "https://mastodon.social"
MAX_IMAGES = 4
MAX_ALT = 1500
METRICS_BATCH = 20
OAUTH = OAuthProvider(platform="mastodon", authorize_url=f"{DEFAULT_API_BASE}/oauth/authorize",
                      token_url=f"{DEFAULT_API_BASE}/oauth/token",
                      scopes=("read:statuses", "write:statuses", "write:media"), basic_auth=False)
MAX_ANSWER_BYTES = 64 * 1024  # an app registration's answer is a few hundred bytes; any server may be named
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+(:[0-9]{1,5})?$")


class InstanceError(ValueError):
    """Not an instance address (``kind`` ``address``), or the instance could not be reached or would not
    register Sharecast's app (``kind`` ``refused``); the message says which, in English."""

    def __init__(self, message: str, kind: str = "address"):
        super().__init__(message)
        self.message, self.kind = message, kind


def instance_base(text: str, allow_private: bool) -> str:
    """The instance's API base (``https://host``) from what a marketer types: ``fosstodon.org``,
    ``https://fosstodon.org/``, or an account handle ``@brand@fosstodon.org``. Plain ``http`` and
    IP addresses and ports other than 443 only with ``allow_private`` (a local instance, tests). :raise InstanceError."""
    text = (text or "").strip()
    if not text or len(text) > 300 or any(c.isspace() or ord(c) < 32 for c in text):
        raise InstanceError("Enter the instance's address, e.g. mastodon.social.")
    if "://" not in text:
        text = "https://" + text.rsplit("@", 1)[-1]  # a handle: the instance is after its last @
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        raise InstanceError("That is not an instance's address.") from None
    if parts.scheme not in (("https", "http") if allow_private else ("https",)) or parts.username \
            or parts.password or parts.path not in ("", "/") or parts.query or parts.fragment or not parts.hostname:
        raise InstanceError("Enter only the instance's address, e.g. mastodon.social (https, no path).")
    try:
        host = parts.hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InstanceError("That is not an instance's address.") from None
    if port == 443 and parts.scheme == "https":
        port = None
    if port and not allow_private:  # instances federate on https's own port; another would only probe ports
        raise InstanceError("Enter only the instance's address, e.g. mastodon.social (https, no port).")
    netloc = f"{host}:{port}" if port else host
    numeric = re.fullmatch(r"[0-9.]+", host) is not None  # an IP address: only a local instance (tests)
    if not (allow_private and numeric) and (numeric or not _HOST.match(netloc)):
        raise InstanceError("That is not an instance's address.")
    return f"{parts.scheme}://{netloc}"


def register_app(base: str, client_name: str, redirect_uri: str, website: str, allow_private: bool,
                 timeout: float = 20.0) -> tuple[str, str]:
    """Register Sharecast's app on the instance at ``base`` (``POST /api/v1/apps``, form fields
    ``client_name``, ``redirect_uris``, ``scopes``, ``website``): its ``(client_id, client_secret)``.
    :raise InstanceError: unreachable, not a Mastodon API, or refused (422 with Mastodon's ``error``)."""
    fields = {"client_name": client_name, "redirect_uris": redirect_uri, "scopes": " ".join(OAUTH.scopes),
              "website": website}
    try:
        # Read as a stream, up to MAX_ANSWER_BYTES and within ``timeout`` in all: the server is whichever
        # one was named, and may send an endless answer, slowly.
        with guarded_http.client(allow_private, timeout) as http, \
                http.stream("POST", f"{base}/api/v1/apps", data=fields) as res:
            deadline, raw = time.monotonic() + timeout, bytearray()
            for chunk in res.iter_bytes():
                raw += chunk
                if len(raw) > MAX_ANSWER_BYTES or time.monotonic() > deadline:
                    raise InstanceError(f"The instance would not register Sharecast (an answer over "
                                        f"{MAX_ANSWER_BYTES // 1024} KB or {timeout:g} s); is it a Mastodon "
                                        f"server?", "refused")
    except guarded_http.TargetRefused as exc:
        raise InstanceError(f"The instance could not be reached (Mastodon API refused: {exc}).", "refused") from None
    except httpx.HTTPError as exc:
        raise InstanceError(f"The instance could not be reached (Mastodon API unreachable: {type(exc).__name__}).",
                            "refused") from None
    body = json_body(httpx.Response(res.status_code, content=bytes(raw)))
    if res.status_code != 200 or not isinstance(body, dict) or not body.get("client_id") \
            or not body.get("client_secret"):
        detail = body.get("error") if isinstance(body, dict) else None
        raise InstanceError(f"The instance would not register Sharecast ({res.status_code}"
                            f"{': ' + str(detail)[:200] if detail else ''}); is it a Mastodon server?", "refused")
    return str(body["client_id"]), str(body["client_secret"])


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
