"""Bluesky: 300 characters, links and #tags made clickable by facets, up to 4 images with alt text.

Built from the AT Protocol's HTTP API (XRPC) as documented at docs.bsky.app and in the lexicons
(``com.atproto.server.createSession`` / ``refreshSession``, ``com.atproto.repo.uploadBlob`` /
``createRecord`` / ``listRecords``, ``app.bsky.feed.post``, ``app.bsky.embed.images``,
``app.bsky.richtext.facet``, ``app.bsky.feed.getPosts``).

The brand signs in with its handle and an *app password* (Settings → Privacy and security → App
passwords), stored as the channel's credentials. The session (an access JWT that lives minutes to
hours and a refresh JWT) is kept by ``brand_accounts/bluesky_session.py``: created once, renewed by
``refreshSession`` when the PDS refuses the access token (``ExpiredToken``), created again from the
app password when the refresh token is refused too. Requests go to the account's PDS (the
``#atproto_pds`` service of the DID document the session answers with).

Publishing: each image (JPEG/PNG, at most 1,000,000 bytes: the lexicon's limit) by ``uploadBlob``,
then ``createRecord`` of an ``app.bsky.feed.post`` with the text, facets (byte offsets in UTF-8)
and the images with alt text and aspect ratio. A retry after an attempt whose answer was lost looks
the post up among the account's latest 20 posts (``listRecords``; Bluesky keeps the text as sent).

Answers: ``ExpiredToken``/``InvalidToken`` (400/401) → :class:`TokenExpired`; 429
``RateLimitExceeded`` → retryable at ``ratelimit-reset`` (epoch seconds); 5xx retryable; the rest
final with Bluesky's message.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

import httpx

from channels.base import (
    BasePublisher,
    Channel,
    OutgoingImage,
    OutgoingPost,
    PostMetrics,
    PublishError,
    PublishResult,
    TokenExpired,
    alt_text,
    text_field,
    url_field,
)
from channels.remote import call, json_body, refused
from channels.spec import ChannelSpec, ImageSize
from channels.textcut import find_urls

DEFAULT_SERVICE = "https://bsky.social"
POST = "app.bsky.feed.post"
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 1_000_000
MAX_ALT = 2000
FIND_WINDOW = 20
METRICS_BATCH = 25  # app.bsky.feed.getPosts takes at most 25 uris
TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})
_APP_PASSWORD = re.compile(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}")
_IDENTIFIER = re.compile(r"(did:[a-z]+:[A-Za-z0-9._:%-]+|[A-Za-z0-9.-]+\.[A-Za-z]{2,}|[^@\s]+@[^@\s]+)")
_TAG = re.compile(r"(?<![\w#])#([^\s#.,!?;:，。！？；：、]{1,64})")


def facets(text: str) -> list[dict]:
    """Links and #tags in ``text`` as ``app.bsky.richtext.facet`` entries (UTF-8 byte offsets)."""
    def span(start: int, end: int) -> dict:
        return {"byteStart": len(text[:start].encode()), "byteEnd": len(text[:end].encode())}

    out, links = [], find_urls(text)
    for start, end in links:
        out.append({"index": span(start, end),
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": text[start:end]}]})
    for m in _TAG.finditer(text):
        if not any(s <= m.start() < e for s, e in links):
            out.append({"index": span(m.start(), m.end()),
                        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": m.group(1)}]})
    return sorted(out, key=lambda f: f["index"]["byteStart"])


def pds_of(session: dict, service: str) -> str:
    """The account's PDS from the session's DID document, else the service signed in to."""
    for entry in ((session.get("didDoc") or {}).get("service") or []):
        if isinstance(entry, dict) and str(entry.get("id", "")).endswith("#atproto_pds") and entry.get("serviceEndpoint"):
            return str(entry["serviceEndpoint"]).rstrip("/")
    return service


class BlueskyPublisher(BasePublisher):
    channel = "bluesky"
    fields = ("identifier", "app_password", "service")

    def check(self, credentials: dict, allow_private: bool, errors: dict) -> dict:
        identifier = text_field(credentials, "identifier", errors, max_length=253)
        if identifier and not _IDENTIFIER.fullmatch(identifier.lstrip("@")):
            errors["identifier"] = "the account's handle (acme.bsky.social), DID or email"
        password = text_field(credentials, "app_password", errors, max_length=19)
        if password and not _APP_PASSWORD.fullmatch(password):
            errors["app_password"] = "an app password: four groups of four letters or digits (xxxx-xxxx-xxxx-xxxx)"
        service = url_field(credentials, "service", errors, allow_private, required=False)
        return {"identifier": identifier.lstrip("@") if identifier else None, "app_password": password,
                "service": (service or DEFAULT_SERVICE).rstrip("/")}

    # The session (brand_accounts/bluesky_session.py calls these).

    def create_session(self, credentials: dict, allow_private: bool) -> dict:
        """``{"access_token", "refresh_token", "did", "pds"}`` from the handle and app password."""
        service = credentials.get("service") or DEFAULT_SERVICE
        res = call("Bluesky", "POST", f"{service}/xrpc/com.atproto.server.createSession", allow_private, self.timeout,
                   json={"identifier": credentials["identifier"], "password": credentials["app_password"]})
        return self._session(res, service, "the handle and app password")

    def refresh_session(self, refresh_token: str, service: str, allow_private: bool) -> dict:
        """A new session from the refresh JWT. :raise TokenExpired: refused (sign in again)."""
        res = call("Bluesky", "POST", f"{service}/xrpc/com.atproto.server.refreshSession", allow_private,
                   self.timeout, headers={"Authorization": f"Bearer {refresh_token}"})
        return self._session(res, service, "the session")

    def _session(self, res: httpx.Response, service: str, what: str) -> dict:
        body = json_body(res)
        if res.status_code == 200 and isinstance(body, dict) and body.get("accessJwt") and body.get("did"):
            return {"access_token": body["accessJwt"], "refresh_token": body.get("refreshJwt"), "did": body["did"],
                    "pds": pds_of(body, service)}
        error = body.get("error") if isinstance(body, dict) else None
        message = str((body.get("message") if isinstance(body, dict) else None) or error or f"HTTP {res.status_code}")
        if error in TOKEN_ERRORS:
            raise TokenExpired(f"Bluesky refused {what} ({message[:200]})")
        if res.status_code == 429 or res.status_code >= 500:
            raise refused("Bluesky", res, message[:200], "ratelimit-reset")
        raise PublishError(f"Bluesky refused {what}: {message[:200]} ({error or res.status_code})", retryable=False)

    # Posting.

    def publish(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult:
        images = [self._upload(post, image, credentials, allow_private) for image in post.images[:MAX_IMAGES]]
        record: dict = {"$type": POST, "text": post.text, "createdAt": _now()}
        found_facets = facets(post.text)
        if found_facets:
            record["facets"] = found_facets
        if images:
            record["embed"] = {"$type": "app.bsky.embed.images", "images": images}
        body = json_body(self._request("POST", "com.atproto.repo.createRecord", credentials, allow_private,
                                       json={"repo": credentials["did"], "collection": POST, "record": record}))
        if not isinstance(body, dict) or not body.get("uri"):
            raise PublishError("Bluesky answered no record uri", retryable=False)
        return PublishResult(external_id=body["uri"], detail={"cid": body.get("cid"), "images": len(images)})

    def find(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult | None:
        """The account's recent post with this text, if an earlier attempt made it (``listRecords``)."""
        body = json_body(self._request("GET", "com.atproto.repo.listRecords", credentials, allow_private,
                                       params={"repo": credentials["did"], "collection": POST,
                                               "limit": FIND_WINDOW}))
        for item in (body.get("records") if isinstance(body, dict) else None) or []:
            if (item.get("value") or {}).get("text") == post.text and item.get("uri"):
                return PublishResult(external_id=item["uri"], detail={"cid": item.get("cid"), "found": True})
        return None

    def metrics(self, external_ids: list[str], credentials: dict, allow_private: bool) -> dict[str, PostMetrics]:
        """Likes, reposts and quotes, replies of the given posts (``app.bsky.feed.getPosts``, 25 a request)."""
        found: dict[str, PostMetrics] = {}
        for start in range(0, len(external_ids), METRICS_BATCH):
            uris = [("uris", u) for u in external_ids[start:start + METRICS_BATCH]]
            body = json_body(self._request("GET", "app.bsky.feed.getPosts", credentials, allow_private, params=uris))
            for p in (body.get("posts") if isinstance(body, dict) else None) or []:
                found[str(p.get("uri"))] = PostMetrics(
                    likes=p.get("likeCount"), reposts=(p.get("repostCount") or 0) + (p.get("quoteCount") or 0),
                    replies=p.get("replyCount"))
        return found

    def _upload(self, post: OutgoingPost, image: OutgoingImage, credentials: dict, allow_private: bool) -> dict:
        if image.data is None:
            raise PublishError("Bluesky needs the image's bytes to upload it", retryable=False)
        if len(image.data) > MAX_IMAGE_BYTES:
            raise PublishError(f"the image is {len(image.data):,} bytes; Bluesky takes at most 1,000,000",
                               retryable=False)
        body = json_body(self._request("POST", "com.atproto.repo.uploadBlob", credentials, allow_private,
                                       content=image.data, headers={"Content-Type": image.content_type}))
        blob = body.get("blob") if isinstance(body, dict) else None
        if not isinstance(blob, dict):
            raise PublishError("Bluesky answered no blob for the image", retryable=False)
        out = {"alt": alt_text(post, image, MAX_ALT), "image": blob}
        if image.width and image.height:
            out["aspectRatio"] = {"width": image.width, "height": image.height}
        return out

    def _request(self, method: str, nsid: str, credentials: dict, allow_private: bool, **kwargs) -> httpx.Response:
        url = f"{credentials.get('pds') or credentials.get('service') or DEFAULT_SERVICE}/xrpc/{nsid}"
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {credentials['access_token']}"}
        res = call("Bluesky", method, url, allow_private, self.timeout, headers=headers, **kwargs)
        if res.status_code < 300:
            return res
        body = json_body(res)
        error = body.get("error") if isinstance(body, dict) else None
        message = str((body.get("message") if isinstance(body, dict) else None) or error or f"HTTP {res.status_code}")
        message = message.replace(credentials["access_token"], "<token>")[:300]
        if error in TOKEN_ERRORS:
            raise TokenExpired(f"Bluesky refused the access token ({error})")
        raise refused("Bluesky", res, f"{message} ({error})" if error and error != message else message,
                      "ratelimit-reset")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


SPEC = ChannelSpec(
    id="bluesky",
    name="Bluesky",
    name_zh="Bluesky（蓝天）",
    text_limit=300,  # graphemes; counted here as code points, never fewer
    hashtag_style="hash",
    link_policy="clickable",
    max_images=MAX_IMAGES,
    image_sizes=(ImageSize("feed", 1200, 675),),
    max_image_bytes=MAX_IMAGE_BYTES,
    publish_kind="api",
    timeline_width=375,
    unconfirmed=("image_sizes", "timeline_width"),
)

CHANNEL = Channel(SPEC, publisher=BlueskyPublisher())
