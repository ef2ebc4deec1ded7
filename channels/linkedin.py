"""LinkedIn: an organisation page's post with a clickable link, posted by the Posts API.

Built from LinkedIn's Community Management API documentation (learn.microsoft.com/linkedin:
Posts API, Images API, MultiImage API, Organization Access Control, OAuth 2.0 three-legged flow).
Connect: authorization code (client credentials as form fields, no PKCE for web apps), scopes
``w_organization_social r_organization_social rw_organization_admin``; access tokens live 60 days,
and apps with refresh tokens get one (365 days) that the refresh job uses.

Publishing as the page the connected member administers (``GET /rest/organizationAcls?q=roleAssignee``,
role ADMINISTRATOR, state APPROVED, asked at connect; with several the marketer chooses one on the Accounts
page; an account connected before that asks again and needs exactly one):
each image by ``POST /rest/images?action=initializeUpload`` then a ``PUT`` of its bytes to the
answered ``uploadUrl``; then ``POST /rest/posts`` (``LinkedIn-Version`` and ``X-Restli-Protocol-Version:
2.0.0`` headers) with the commentary in LinkedIn's "little text" format (reserved characters escaped,
``#tag`` as a hashtag template), one image as ``media`` or several as ``multiImage``, each with alt
text. The post's URN comes back in ``x-restli-id``. A retry after a lost answer looks the post up among
the page's latest posts (``GET /rest/posts?q=author``).

Answers: 401 (``EXPIRED_ACCESS_TOKEN``, ``REVOKED_ACCESS_TOKEN``) → :class:`TokenExpired`; 429 →
retryable at midnight UTC (LinkedIn's limits are daily); 5xx retryable; other 4xx final with
LinkedIn's ``message`` (422 "Content is a duplicate of …").

Metrics: ``GET /rest/organizationalEntityShareStatistics?q=organizationalEntity`` with the page and the
posts as ``shares=List(…)`` / ``ugcPosts=List(…)`` (Rest.li 2.0 lists of URL-encoded URNs): lifetime
organic figures of posts of the last 12 months (``rw_organization_admin``, asked at connect):
likes, reshares, comments and impressions.
"""
from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

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
from channels.remote import BearerPublisher, json_body, rate_limited
from channels.spec import ChannelSpec, ImageSize
from channels.textcut import find_urls

DEFAULT_API_BASE = "https://api.linkedin.com"
METRICS_BATCH = 20
VERSION = "202510"  # the LinkedIn-Version (YYYYMM) this adapter was written against
MAX_IMAGES = 9
MAX_ALT = 4086
FIND_WINDOW = 10
OAUTH = OAuthProvider(platform="linkedin", authorize_url="https://www.linkedin.com/oauth/v2/authorization",
                      token_url="https://www.linkedin.com/oauth/v2/accessToken",
                      scopes=("w_organization_social", "r_organization_social", "rw_organization_admin"),
                      pkce=False, basic_auth=False)
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
_TAG = re.compile(r"(?<![\w#])#(\w{1,100})")


def little_text(text: str) -> str:
    """``text`` as LinkedIn's commentary reads it: reserved characters escaped (else the post is cut
    at the first one), links left whole, ``#tag`` written as the hashtag template."""
    out, at = [], 0
    for start, end in find_urls(text):
        out.append(_escape(text[at:start]))
        out.append(text[start:end])
        at = end
    out.append(_escape(text[at:]))
    return "".join(out)


def _escape(part: str) -> str:
    pieces, at = [], 0
    for m in _TAG.finditer(part):
        pieces.append(_RESERVED.sub(r"\\\1", part[at:m.start()]))
        pieces.append("{hashtag|\\#|" + _RESERVED.sub(r"\\\1", m.group(1)) + "}")
        at = m.end()
    pieces.append(_RESERVED.sub(r"\\\1", part[at:]))
    return "".join(pieces)


def seconds_to_utc_midnight(now: datetime | None = None) -> float:
    now = now or datetime.now(timezone.utc)
    return ((now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0) - now).total_seconds()


class LinkedInPublisher(BearerPublisher):
    channel, platform, default_api_base = "linkedin", "LinkedIn", DEFAULT_API_BASE
    fields = ("access_token", "api_base", "organization")
    oauth = OAUTH

    def check(self, credentials: dict, allow_private: bool, errors: dict) -> dict:
        clean = super().check({k: v for k, v in credentials.items() if k != "organization"}, allow_private, errors)
        return {**clean, "organization": text_field(credentials, "organization", errors, required=False)}

    def after_connect(self, tokens: Tokens, provider: OAuthProvider, client_id: str, client_secret: str,
                      api_base: str, allow_private: bool) -> Tokens:
        """The page the member administers, kept with the tokens; with several, the choice of them
        (``extra["choices"]``, the marketer picks one). With none, nothing is kept and posting says so."""
        try:
            pages = self.organizations({"access_token": tokens.access_token, "api_base": api_base}, allow_private)
        except PublishError as exc:
            raise OAuthError(f"LinkedIn did not list the member's pages ({exc.message})", reconnect=False,
                             retryable=exc.retryable) from None
        if len(pages) == 1:
            return dataclasses.replace(tokens, extra={**tokens.extra, "organization": pages[0]})
        if len(pages) > 1:
            credentials = {"access_token": tokens.access_token, "api_base": api_base}
            choices = [{"id": p, "name": self.page_name(p, credentials, allow_private), "values": {"organization": p}}
                       for p in pages]
            return dataclasses.replace(tokens, extra={**tokens.extra, "choices": choices})
        return tokens

    def page_name(self, urn: str, credentials: dict, allow_private: bool) -> str:
        """The page's name (Organization Lookup's ``localizedName``), or its URN when LinkedIn does not say."""
        try:
            body = json_body(self._request("GET", f"/rest/organizations/{urn.rsplit(':', 1)[-1]}", credentials,
                                           allow_private))
        except PublishError:
            return urn
        name = body.get("localizedName") if isinstance(body, dict) else None
        return f"{name} ({urn})" if isinstance(name, str) and name else urn

    def organizations(self, credentials: dict, allow_private: bool) -> list[str]:
        """The URNs of the pages the member administers."""
        body = json_body(self._request("GET", "/rest/organizationAcls", credentials, allow_private,
                                       params={"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"}))
        return sorted({e["organization"] for e in (body.get("elements") or []) if e.get("organization")})

    def organization(self, credentials: dict, allow_private: bool) -> str:
        """The URN of the page chosen at connect, else of the one page the member administers.

        :raise PublishError: none, or several (final)."""
        if credentials.get("organization"):
            return credentials["organization"]
        pages = self.organizations(credentials, allow_private)
        if len(pages) != 1:
            which = ", ".join(pages) if pages else "none"
            raise PublishError(f"LinkedIn posts as the one page the connected member administers; they administer "
                               f"{len(pages)} ({which}): connect a member who administers only the brand's page",
                               retryable=False)
        return pages[0]

    def publish(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult:
        author = self.organization(credentials, allow_private)
        images = [{"id": self._upload(image, author, credentials, allow_private),
                   "altText": alt_text(post, image, MAX_ALT)} for image in post.images[:MAX_IMAGES]]
        body: dict = {"author": author, "commentary": little_text(post.text), "visibility": "PUBLIC",
                      "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                                       "thirdPartyDistributionChannels": []},
                      "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
        if len(images) == 1:
            body["content"] = {"media": images[0]}
        elif images:
            body["content"] = {"multiImage": {"images": images}}
        res = self._request("POST", "/rest/posts", credentials, allow_private, json=body)
        urn = res.headers.get("x-restli-id")
        if not urn:
            raise PublishError("LinkedIn answered no post id", retryable=False)
        return PublishResult(external_id=urn, detail={"author": author, "images": [i["id"] for i in images]})

    def find(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult | None:
        """The page's recent post with this commentary, if an earlier attempt made it."""
        author = self.organization(credentials, allow_private)
        body = json_body(self._request("GET", "/rest/posts", credentials, allow_private,
                                       params={"q": "author", "author": author, "count": FIND_WINDOW,
                                               "sortBy": "LAST_MODIFIED"}))
        commentary = little_text(post.text)
        for item in (body.get("elements") if isinstance(body, dict) else None) or []:
            if item.get("commentary") == commentary and item.get("id"):
                return PublishResult(external_id=item["id"], detail={"found": True})
        return None

    def metrics(self, external_ids: list[str], credentials: dict, allow_private: bool) -> dict[str, PostMetrics]:
        """Likes, reshares, comments and impressions of the page's posts, 20 a request; posts LinkedIn
        no longer counts (older than 12 months, deleted) are left out."""
        organization = self.organization(credentials, allow_private)
        found: dict[str, PostMetrics] = {}
        for start in range(0, len(external_ids), METRICS_BATCH):
            batch = external_ids[start:start + METRICS_BATCH]
            lists = "".join(
                f"&{name}=List({','.join(quote(u, safe='') for u in batch if u.startswith(prefix))})"
                for name, prefix in (("shares", "urn:li:share:"), ("ugcPosts", "urn:li:ugcPost:"))
                if any(u.startswith(prefix) for u in batch))
            if not lists:
                continue
            path = (f"/rest/organizationalEntityShareStatistics?q=organizationalEntity"
                    f"&organizationalEntity={quote(organization, safe='')}{lists}")
            body = json_body(self._request("GET", path, credentials, allow_private))
            for element in (body.get("elements") if isinstance(body, dict) else None) or []:
                urn, figures = element.get("share") or element.get("ugcPost"), element.get("totalShareStatistics") or {}
                if urn in batch:
                    found[urn] = PostMetrics(likes=figures.get("likeCount"), reposts=figures.get("shareCount"),
                                             replies=figures.get("commentCount"), views=figures.get("impressionCount"))
        return found

    def _upload(self, image: OutgoingImage, owner: str, credentials: dict, allow_private: bool) -> str:
        if image.data is None:
            raise PublishError("LinkedIn needs the image's bytes to upload it", retryable=False)
        value = json_body(self._request("POST", "/rest/images", credentials, allow_private,
                                        params={"action": "initializeUpload"},
                                        json={"initializeUploadRequest": {"owner": owner}})).get("value") or {}
        if not value.get("uploadUrl") or not value.get("image"):
            raise PublishError("LinkedIn answered no image upload URL", retryable=False)
        self._request("PUT", value["uploadUrl"], credentials, allow_private, content=image.data,
                      headers={"Content-Type": image.content_type})
        return value["image"]

    def _request(self, method: str, path: str, credentials: dict, allow_private: bool, **kwargs) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), "LinkedIn-Version": VERSION, "X-Restli-Protocol-Version": "2.0.0"}
        res = self.bearer_call(method, path, credentials, allow_private, headers=headers, **kwargs)
        if res.status_code < 300:
            return res
        body = json_body(res)
        detail = str((body.get("message") if isinstance(body, dict) else None) or f"HTTP {res.status_code}")
        detail = detail.replace(credentials["access_token"], "<token>")[:300]
        if res.status_code == 401:
            raise TokenExpired(f"LinkedIn refused the access token ({detail})")
        if res.status_code == 429:
            raise rate_limited("LinkedIn", seconds_to_utc_midnight(), 429)
        raise PublishError(f"LinkedIn refused the post: {detail} ({res.status_code})", retryable=res.status_code >= 500)


SPEC = ChannelSpec(
    id="linkedin",
    timeline_width=375,
    name="LinkedIn",
    name_zh="领英",
    text_limit=3000,
    hashtag_style="hash",
    link_policy="clickable",
    max_images=MAX_IMAGES,  # "several"
    image_sizes=(ImageSize("feed", 1200, 627),),
    publish_kind="api",
    unconfirmed=("max_images", "timeline_width"),
)

CHANNEL = Channel(SPEC, publisher=LinkedInPublisher())
