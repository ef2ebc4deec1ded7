"""Facebook: a Page post with a clickable link, posted by the Graph API.

Built from the Graph API documentation (developers.facebook.com: Facebook Login's manual flow,
long-lived tokens, Page access tokens, ``/{page-id}/feed``, ``/{page-id}/photos``, error handling
and rate limiting). Connect: authorization code (no PKCE; client credentials as form fields), scopes
``pages_show_list pages_manage_posts pages_read_engagement``; the short-lived user token is exchanged
for a long-lived one (``grant_type=fb_exchange_token``) and that for the Page's own token
(``/me/accounts``: the Page the person can create content on; when there are several, the marketer
chooses one on the Accounts page, and until then nothing posts). A Page token got this way does not expire: if Facebook refuses it later (code 190: password
changed, app removed), the account asks the brand to connect again.

Publishing: text by ``POST /{page-id}/feed``; one image by ``POST /{page-id}/photos`` (``source``
bytes, ``caption``, ``alt_text_custom``); several by uploading each unpublished, then the feed post with
``attached_media``. Facebook has no idempotency key: a retry after a lost answer looks the post up among
the Page's latest 20 (``/{page-id}/feed``). Metrics: reactions, comments, shares by ``?ids=``.

Errors come as ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``: 190 →
:class:`TokenExpired`; 4, 17, 32, 613 (and HTTP 429) → retryable after the usage headers'
``estimated_time_to_regain_access`` (minutes), else an hour; 1, 2 and 5xx retryable; the rest final
(506: a duplicate post).
"""
from __future__ import annotations

import json

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
from channels.oauth import OAuthError, OAuthProvider, Tokens
from channels.remote import BearerPublisher, call, json_body, rate_limited
from channels.spec import ChannelSpec, ImageSize

DEFAULT_API_BASE = "https://graph.facebook.com"
VERSION = "v21.0"
MAX_IMAGES = 10
MAX_ALT = 1000
FIND_WINDOW = 20
METRICS_BATCH = 50  # the Graph API's ?ids= takes at most 50
RATE_CODES = frozenset({4, 17, 32, 613})
RETRYABLE_CODES = frozenset({1, 2})
OAUTH = OAuthProvider(platform="facebook", authorize_url=f"https://www.facebook.com/{VERSION}/dialog/oauth",
                      token_url=f"{DEFAULT_API_BASE}/{VERSION}/oauth/access_token",
                      scopes=("pages_show_list", "pages_manage_posts", "pages_read_engagement"),
                      pkce=False, basic_auth=False, scope_separator=",")
USAGE_HEADERS = ("x-business-use-case-usage", "x-page-usage", "x-app-usage")


def regain_seconds(headers: httpx.Headers) -> float:
    """When Facebook lets calls through again: the largest ``estimated_time_to_regain_access`` (minutes)
    in the usage headers, or an hour when none says."""
    minutes = []
    for name in USAGE_HEADERS:
        try:
            usage = json.loads(headers.get(name) or "null")
        except ValueError:
            continue
        entries = [e for v in usage.values() for e in (v if isinstance(v, list) else [v])] \
            if isinstance(usage, dict) and name == "x-business-use-case-usage" else [usage]
        minutes += [e.get("estimated_time_to_regain_access") for e in entries if isinstance(e, dict)]
    known = [m for m in minutes if isinstance(m, (int, float)) and m > 0]
    return max(known) * 60 if known else 3600.0


class FacebookPublisher(BearerPublisher):
    channel, platform, default_api_base = "facebook", "Facebook", DEFAULT_API_BASE
    fields = ("access_token", "api_base", "page_id", "page_name")
    oauth = OAUTH

    def check(self, credentials: dict, allow_private: bool, errors: dict) -> dict:
        clean = super().check({k: v for k, v in credentials.items() if k in ("access_token", "api_base")},
                              allow_private, errors)
        return {**clean, "page_id": text_field(credentials, "page_id", errors, max_length=40),
                "page_name": text_field(credentials, "page_name", errors, required=False)}

    # What /me/accounts is asked for, and which of its Pages this channel can post as.
    page_fields = "id,name,access_token,tasks"

    def usable(self, page: dict) -> bool:
        return "CREATE_CONTENT" in (page.get("tasks") or [])

    def page_values(self, page: dict) -> dict:
        """The credentials one Page gives: its own token and id."""
        return {"access_token": page["access_token"], "page_id": str(page["id"]), "page_name": page.get("name")}

    def choice_name(self, page: dict) -> str:
        return str(page.get("name") or page["id"])

    def after_connect(self, tokens: Tokens, provider: OAuthProvider, client_id: str, client_secret: str,
                      api_base: str, allow_private: bool) -> Tokens:
        """The Page's token from the connect's short-lived user token; with several Pages, the choice of
        them (``extra["choices"]``: each Page's name and credentials, the marketer picks one).

        :raise OAuthError: refused, or no Page this channel can post as."""
        base = f"{api_base}/{VERSION}"
        res = call(self.platform, "GET", f"{base}/oauth/access_token", allow_private, self.timeout,
                   params={"grant_type": "fb_exchange_token", "client_id": client_id, "client_secret": client_secret,
                           "fb_exchange_token": tokens.access_token})
        long_lived = json_body(res).get("access_token") if res.status_code == 200 else None
        if not long_lived:
            raise OAuthError(f"Facebook refused the long-lived token ({_message(res)})", reconnect=True)
        res = call(self.platform, "GET", f"{base}/me/accounts", allow_private, self.timeout,
                   params={"fields": self.page_fields}, headers={"Authorization": f"Bearer {long_lived}"})
        pages = [p for p in (json_body(res).get("data") or []) if self.usable(p)] if res.status_code == 200 else None
        if pages is None:
            raise OAuthError(f"Facebook did not list the Pages ({_message(res)})", reconnect=True)
        if not pages:
            raise OAuthError(self.no_page, reconnect=True)
        if len(pages) > 1:
            choices = [{"id": str(p["id"]), "name": self.choice_name(p), "values": self.page_values(p)} for p in pages]
            return Tokens(long_lived, None, None, tokens.scope, {"choices": choices})
        values = self.page_values(pages[0])
        return Tokens(values.pop("access_token"), None, None, tokens.scope, values)

    no_page = "Facebook lists no Page the person connecting can post on: connect with a person who manages the brand's Page"

    def publish(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult:
        page, images = credentials["page_id"], post.images[:MAX_IMAGES]
        if len(images) == 1:
            photo = self._photo(post, images[0], credentials, allow_private, caption=post.text, published=True)
            return PublishResult(external_id=str(photo.get("post_id") or photo["id"]), detail={"photo_id": photo["id"]})
        form: dict = {"message": post.text}
        photo_ids = [self._photo(post, image, credentials, allow_private, published=False)["id"] for image in images]
        for n, photo_id in enumerate(photo_ids):
            form[f"attached_media[{n}]"] = json.dumps({"media_fbid": photo_id})
        body = json_body(self._request("POST", f"/{page}/feed", credentials, allow_private, data=form))
        if not body.get("id"):
            raise PublishError("Facebook answered no post id", retryable=False)
        return PublishResult(external_id=str(body["id"]), detail={"photo_ids": photo_ids})

    def find(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult | None:
        """The Page's recent post with this message, if an earlier attempt made it."""
        body = json_body(self._request("GET", f"/{credentials['page_id']}/feed", credentials, allow_private,
                                       params={"fields": "id,message", "limit": FIND_WINDOW}))
        for item in body.get("data") or []:
            if item.get("message") == post.text and item.get("id"):
                return PublishResult(external_id=str(item["id"]), detail={"found": True})
        return None

    def metrics(self, external_ids: list[str], credentials: dict, allow_private: bool) -> dict[str, PostMetrics]:
        """Reactions, shares and comments of up to 50 posts a request; missing ones are left out."""
        found: dict[str, PostMetrics] = {}
        fields = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares"
        for start in range(0, len(external_ids), METRICS_BATCH):
            ids = external_ids[start:start + METRICS_BATCH]
            body = json_body(self._request("GET", "/", credentials, allow_private,
                                           params={"ids": ",".join(ids), "fields": fields}))
            for post_id, p in (body.items() if isinstance(body, dict) else []):
                if isinstance(p, dict):
                    found[post_id] = PostMetrics(
                        likes=((p.get("reactions") or {}).get("summary") or {}).get("total_count"),
                        reposts=(p.get("shares") or {}).get("count", 0),
                        replies=((p.get("comments") or {}).get("summary") or {}).get("total_count"))
        return found

    def _photo(self, post: OutgoingPost, image: OutgoingImage, credentials: dict, allow_private: bool,
               published: bool, caption: str | None = None) -> dict:
        if image.data is None:
            raise PublishError("Facebook needs the image's bytes to upload it", retryable=False)
        form = {"published": "true" if published else "false", "alt_text_custom": alt_text(post, image, MAX_ALT)}
        if caption is not None:
            form["caption"] = caption
        body = json_body(self._request("POST", f"/{credentials['page_id']}/photos", credentials, allow_private,
                                       data=form, files={"source": (image.filename, image.data, image.content_type)}))
        if not body.get("id"):
            raise PublishError("Facebook answered no photo id", retryable=False)
        return body

    def _request(self, method: str, path: str, credentials: dict, allow_private: bool, **kwargs) -> httpx.Response:
        res = self.bearer_call(method, f"/{VERSION}{path}", credentials, allow_private, **kwargs)
        if res.status_code < 300:
            return res
        error = json_body(res).get("error") if isinstance(json_body(res), dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        detail = _message(res).replace(credentials["access_token"], "<token>")
        if code == 190:
            raise TokenExpired(f"Facebook refused the access token ({detail})")
        if code in RATE_CODES or res.status_code == 429:
            raise rate_limited("Facebook", regain_seconds(res.headers), code)
        raise PublishError(f"Facebook refused the post: {detail} ({code or res.status_code})",
                           retryable=code in RETRYABLE_CODES or res.status_code >= 500)


def _message(res: httpx.Response) -> str:
    body = json_body(res)
    error = body.get("error") if isinstance(body, dict) else None
    return str((error.get("message") if isinstance(error, dict) else None) or f"HTTP {res.status_code}")[:300]


SPEC = ChannelSpec(
    id="facebook",
    timeline_width=375,
    unconfirmed=("timeline_width",),
    name="Facebook",
    name_zh="脸书",
    text_limit=5000,
    hashtag_style="hash",
    link_policy="clickable",
    max_images=MAX_IMAGES,
    image_sizes=(ImageSize("feed", 1200, 630),),
    publish_kind="api",
)

CHANNEL = Channel(SPEC, publisher=FacebookPublisher())
