"""Instagram: a professional account's feed post (one photo, or a carousel), posted by the Graph API.

Built from Meta's Instagram Platform documentation (Instagram API with Facebook Login: content
publishing, ``IG User Media``, ``IG User Media Publish``, ``IG Container``, ``content_publishing_limit``,
error codes) and the Graph API's rate limiting. Connect: the Facebook Login of the Facebook Page adapter
(the same Meta app), with ``instagram_basic instagram_content_publish`` besides the Page scopes; the
Instagram account is the ``instagram_business_account`` of the Page the person manages (several such
Pages: the marketer chooses on the Accounts page), posted to with that Page's token.

Publishing is in two steps: a media container (``POST /{ig-user-id}/media`` with ``image_url``, the
caption and alt text; for several images one ``is_carousel_item`` container each, then one
``media_type=CAROUSEL`` container with the ``children``), followed until its ``status_code`` is
``FINISHED`` (``IN_PROGRESS`` waits, ``ERROR``/``EXPIRED`` fail with its ``status``), then
``POST /{ig-user-id}/media_publish`` with the ``creation_id``. Instagram fetches each image from its URL,
so images must be at a public address: with ``SHARECAST_PUBLIC_URL`` on a local name or a private
address publishing refuses before any call (lifted, for tests, by ``SHARECAST_ALLOW_PRIVATE_TARGETS``).
An account may publish 50 posts in 24 hours (``content_publishing_limit``, asked before each post).
Instagram has no idempotency key: a retry after a lost answer looks the post up among the account's
latest media by caption. Metrics: likes and comments by ``?ids=``.

Errors, as Facebook's: 190 → :class:`TokenExpired`; 4, 17, 32, 613 (and HTTP 429) → retryable after
the usage headers' time; code 9 subcode 2207042 (the daily publishing limit) → retryable in an hour;
codes -1, -2, 1, 2, ``is_transient`` and 5xx retryable; the rest final with Instagram's message.
"""
from __future__ import annotations

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
    TokenExpired,
    alt_text,
    text_field,
)
from channels.facebook import OAUTH as FACEBOOK_OAUTH
from channels.facebook import RATE_CODES, VERSION, FacebookPublisher, regain_seconds
from channels.oauth import OAuthProvider
from channels.remote import json_body, rate_limited
from channels.spec import ChannelSpec, ImageSize
from plumbing import guarded_http

MAX_IMAGES = 10
MAX_CAPTION = 2200
MAX_HASHTAGS = 30
MAX_ALT = 1000
FIND_WINDOW = 25
METRICS_BATCH = 50
DAILY_LIMIT_SUBCODE = 2207042
RETRYABLE_CODES = frozenset({-2, -1, 1, 2})
# How long to wait between asking whether a container is ready (seconds); then the job tries later.
POLL_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)
OAUTH = OAuthProvider(platform="instagram", authorize_url=FACEBOOK_OAUTH.authorize_url,
                      token_url=FACEBOOK_OAUTH.token_url,
                      scopes=("instagram_basic", "instagram_content_publish", "pages_show_list",
                              "pages_read_engagement"),
                      pkce=False, basic_auth=False, scope_separator=",")


def public_image_url(image: OutgoingImage, allow_private: bool) -> str:
    """The URL Instagram fetches the image from. :raise PublishError: none, or not public (final)."""
    if not image.url:
        raise PublishError("Instagram fetches images from their URL and this image has none", retryable=False)
    host = urlsplit(image.url).hostname or ""
    dotless = "." not in host and ":" not in host  # an intranet name ("sharecast"), not an IPv6 literal
    if not allow_private and (guarded_http.is_local_name(host) or dotless):
        raise PublishError(f"Instagram fetches each image from its public URL, and SHARECAST_PUBLIC_URL is not "
                           f"public ({host}): set it to the address the internet reaches Sharecast at",
                           retryable=False)
    return image.url


class InstagramPublisher(FacebookPublisher):
    channel, platform = "instagram", "Instagram"
    fields = ("access_token", "api_base", "ig_user_id", "username", "page_id", "page_name")
    oauth = OAUTH
    page_fields = "id,name,access_token,tasks,instagram_business_account{id,username}"
    no_page = ("Facebook lists no Page with an Instagram professional account that the person connecting can "
               "post on: link the brand's Instagram account to its Facebook Page, then connect again")
    poll_delays = POLL_DELAYS

    def usable(self, page: dict) -> bool:
        return super().usable(page) and bool((page.get("instagram_business_account") or {}).get("id"))

    def page_values(self, page: dict) -> dict:
        account = page["instagram_business_account"]
        return {**super().page_values(page), "ig_user_id": str(account["id"]), "username": account.get("username")}

    def choice_name(self, page: dict) -> str:
        username = (page.get("instagram_business_account") or {}).get("username")
        return f"@{username} ({page.get('name')})" if username else super().choice_name(page)

    def check(self, credentials: dict, allow_private: bool, errors: dict) -> dict:
        clean = super().check({k: v for k, v in credentials.items() if k not in ("ig_user_id", "username")},
                              allow_private, errors)
        return {**clean, "ig_user_id": text_field(credentials, "ig_user_id", errors, max_length=40),
                "username": text_field(credentials, "username", errors, required=False)}

    def publish(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult:
        caption, images = post.text, post.images[:MAX_IMAGES]
        if not images:
            raise PublishError("an Instagram post needs at least one image", retryable=False)
        if len(caption) > MAX_CAPTION:
            raise PublishError(f"the Instagram caption is {len(caption)} characters; Instagram takes at most "
                               f"{MAX_CAPTION}", retryable=False)
        urls = [public_image_url(image, allow_private) for image in images]
        ig = credentials["ig_user_id"]
        self._check_quota(credentials, allow_private)
        if len(images) == 1:
            container = self._container(credentials, allow_private, image_url=urls[0], caption=caption,
                                        alt_text=alt_text(post, images[0], MAX_ALT))
            children: list[str] = []
        else:
            children = [self._container(credentials, allow_private, image_url=url, is_carousel_item="true",
                                        alt_text=alt_text(post, image, MAX_ALT)) for url, image in zip(urls, images)]
            for child in children:
                self._wait(child, credentials, allow_private)
            container = self._container(credentials, allow_private, media_type="CAROUSEL", caption=caption,
                                        children=",".join(children))
        self._wait(container, credentials, allow_private)
        body = json_body(self._request("POST", f"/{ig}/media_publish", credentials, allow_private,
                                       data={"creation_id": container}))
        if not body.get("id"):
            raise PublishError("Instagram answered no media id", retryable=False)
        return PublishResult(external_id=str(body["id"]), detail={"container": container, "children": children})

    def find(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult | None:
        """The account's recent media with this caption, if an earlier attempt published it."""
        body = json_body(self._request("GET", f"/{credentials['ig_user_id']}/media", credentials, allow_private,
                                       params={"fields": "id,caption,timestamp", "limit": FIND_WINDOW}))
        for item in body.get("data") or []:
            if (item.get("caption") or "") == post.text and item.get("id"):
                return PublishResult(external_id=str(item["id"]), detail={"found": True})
        return None

    def metrics(self, external_ids: list[str], credentials: dict, allow_private: bool) -> dict[str, PostMetrics]:
        """Likes and comments of up to 50 media a request; missing ones are left out."""
        found: dict[str, PostMetrics] = {}
        for start in range(0, len(external_ids), METRICS_BATCH):
            ids = external_ids[start:start + METRICS_BATCH]
            body = json_body(self._request("GET", "/", credentials, allow_private,
                                           params={"ids": ",".join(ids), "fields": "like_count,comments_count"}))
            for media_id, m in (body.items() if isinstance(body, dict) else []):
                if isinstance(m, dict):
                    found[media_id] = PostMetrics(likes=m.get("like_count"), replies=m.get("comments_count"))
        return found

    def _check_quota(self, credentials: dict, allow_private: bool) -> None:
        """Refuse (retryable) before making containers when the 24-hour publishing quota is used up."""
        body = json_body(self._request("GET", f"/{credentials['ig_user_id']}/content_publishing_limit", credentials,
                                       allow_private, params={"fields": "quota_usage,config"}))
        for entry in body.get("data") or []:
            total = (entry.get("config") or {}).get("quota_total")
            if isinstance(total, int) and isinstance(entry.get("quota_usage"), int) and entry["quota_usage"] >= total:
                raise rate_limited("Instagram", 3600.0, DAILY_LIMIT_SUBCODE)

    def _container(self, credentials: dict, allow_private: bool, **form) -> str:
        body = json_body(self._request("POST", f"/{credentials['ig_user_id']}/media", credentials, allow_private,
                                       data=form))
        if not body.get("id"):
            raise PublishError("Instagram answered no container id", retryable=False)
        return str(body["id"])

    def _wait(self, container: str, credentials: dict, allow_private: bool) -> None:
        """Until the container is ``FINISHED``. :raise PublishError: ERROR/EXPIRED (final), or still not ready."""
        for delay in (0.0, *self.poll_delays):
            time.sleep(delay)
            body = json_body(self._request("GET", f"/{container}", credentials, allow_private,
                                           params={"fields": "status_code,status"}))
            state = body.get("status_code")
            if state in ("FINISHED", "PUBLISHED"):
                return
            if state in ("ERROR", "EXPIRED"):
                raise PublishError(f"Instagram refused the post: {str(body.get('status') or state)[:300]} "
                                   f"({state})", retryable=state == "EXPIRED")
        raise PublishError("Instagram has not finished preparing the images; trying again later",
                           retryable=True, retry_after=60.0)

    def _request(self, method: str, path: str, credentials: dict, allow_private: bool, **kwargs) -> httpx.Response:
        res = self.bearer_call(method, f"/{VERSION}{path}", credentials, allow_private, **kwargs)
        if res.status_code < 300:
            return res
        body = json_body(res)
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        code, subcode = error.get("code"), error.get("error_subcode")
        detail = str(error.get("error_user_msg") or error.get("message") or f"HTTP {res.status_code}")
        detail = detail.replace(credentials["access_token"], "<token>")[:300]
        if code == 190:
            raise TokenExpired(f"Instagram refused the access token ({detail})")
        if code == 9 and subcode == DAILY_LIMIT_SUBCODE:
            raise rate_limited("Instagram", 3600.0, DAILY_LIMIT_SUBCODE)
        if code in RATE_CODES or res.status_code == 429:
            raise rate_limited("Instagram", regain_seconds(res.headers), code)
        raise PublishError(f"Instagram refused the post: {detail} ({subcode or code or res.status_code})",
                           retryable=code in RETRYABLE_CODES or bool(error.get("is_transient"))
                           or res.status_code >= 500)


SPEC = ChannelSpec(
    id="instagram",
    timeline_width=375,
    unconfirmed=("timeline_width",),
    name="Instagram",
    name_zh="照片墙",
    text_limit=MAX_CAPTION,  # the caption
    hashtag_style="hash",
    max_hashtags=MAX_HASHTAGS,
    link_policy="qr_only",
    max_images=MAX_IMAGES,
    image_sizes=(
        ImageSize("feed", 1080, 1350),
        ImageSize("square", 1080, 1080),
        ImageSize("story", 1080, 1920),
    ),
    publish_kind="api",
)

CHANNEL = Channel(SPEC, publisher=InstagramPublisher())
