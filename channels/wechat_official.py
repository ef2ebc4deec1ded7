"""WeChat Official Account 公众号: an article kit with one "read original" link, or, with the
brand's AppID and AppSecret, the article published to the account.

Publishing follows the Official Account API (developers.weixin.qq.com, 草稿箱 and 发布能力):
the cover goes up as permanent material (``material/add_material?type=image``), each
body image by ``media/uploadimg`` (the article may only show images hosted by WeChat),
then ``draft/add`` with the article and ``freepublish/submit``; the outcome follows by
``freepublish/get`` (or the ``PUBLISHJOBFINISH`` event).

The access token is not fetched here: the shell passes ``credentials["access_token"]``
from its token provider (``brand_accounts/wechat_token.py``: the one token of
``platforms/wechat.py`` that sign-in and the JS-SDK share). The AppID and AppSecret are
optional: without them the workspace's Official Account (``PUT /api/v1/wechat/account``) posts. 40001, 40014 and 42001 → :class:`TokenExpired`
(the shell fetches a new token once and tries again); 45009 (daily quota) and 45011
(per-minute quota) → retryable when the quota returns; -1 (system busy) retryable; the
rest final with WeChat's errmsg.
"""
from __future__ import annotations

import html
import json
import logging
import re
from datetime import datetime, timedelta, timezone

from channels.base import (
    BasePublisher,
    Channel,
    OutgoingPost,
    PublishError,
    PublishResult,
    TokenExpired,
    text_field,
    url_field,
)
from channels.remote import call, json_body, rate_limited
from channels.spec import ChannelSpec, ImageSize
from channels.textcut import cut_text

log = logging.getLogger(__name__)
DEFAULT_API_BASE = "https://api.weixin.qq.com"
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
_APPID = re.compile(r"wx[0-9a-f]{16}")
_SECRET = re.compile(r"[0-9a-f]{32}")
BEIJING = timezone(timedelta(hours=8))
# freepublish/get publish_status: 0 published, 1 publishing, 2 original-content refusal, 3 general
# failure, 4 refused by the platform's review, 5 deleted after success, 6 banned after success.
PUBLISH_STATES = {0: "published", 1: "publishing", 2: "failed_originality", 3: "failed",
                  4: "failed_review", 5: "deleted", 6: "banned"}
# An article found by lookup is known by its article_id (its publish_id was lost with the answer).
ARTICLE_PREFIX = "article:"
FIND_WINDOW = 20  # freepublish/batchget's largest page


class WechatOfficialPublisher(BasePublisher):
    channel = "wechat_official"
    fields = ("appid", "secret", "author", "api_base")

    def check(self, credentials: dict, allow_private: bool, errors: dict) -> dict:
        appid = text_field(credentials, "appid", errors, required=False, max_length=18)
        if appid and not _APPID.fullmatch(appid):
            errors["appid"] = "an AppID: wx and 16 hexadecimal digits"
        secret = text_field(credentials, "secret", errors, required=False, max_length=32)
        if secret and not _SECRET.fullmatch(secret):
            errors["secret"] = "an AppSecret: 32 hexadecimal digits"
        if secret and not appid:
            errors["appid"] = "the AppID this AppSecret belongs to"
        author = text_field(credentials, "author", errors, required=False, max_length=8)
        api_base = url_field(credentials, "api_base", errors, allow_private, required=False)
        return {"appid": appid, "secret": secret, "author": author,
                "api_base": (api_base or DEFAULT_API_BASE).rstrip("/")}

    def publish(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult:
        if not post.images or post.images[0].data is None:
            raise PublishError("an Official Account article needs a cover image", retryable=False)
        cover = post.images[0]
        thumb = self._call("/cgi-bin/material/add_material", credentials, allow_private, params={"type": "image"},
                           files={"media": (cover.filename, cover.data, cover.content_type)})["media_id"]
        hosted = [self._call("/cgi-bin/media/uploadimg", credentials, allow_private,
                             files={"media": (i.filename, i.data, i.content_type)})["url"]
                  for i in post.images if i.data is not None]
        article = {"title": _title(post), "digest": _digest(post),
                   "content": article_html(post.text, hosted), "thumb_media_id": thumb,
                   "need_open_comment": 0, "only_fans_can_comment": 0}
        if credentials.get("author"):
            article["author"] = credentials["author"]
        if post.link:
            article["content_source_url"] = post.link
        draft = self._call("/cgi-bin/draft/add", credentials, allow_private, json={"articles": [article]})["media_id"]
        submitted = self._call("/cgi-bin/freepublish/submit", credentials, allow_private, json={"media_id": draft})
        return PublishResult(external_id=str(submitted["publish_id"]),
                             detail={"draft_media_id": draft, "thumb_media_id": thumb, "images": hosted})

    def publish_status(self, publish_id: str, credentials: dict, allow_private: bool) -> dict:
        """``{"state", "article_url", "article_id"}`` of a submitted article: ``freepublish/get`` for a
        ``publish_id``; ``freepublish/getarticle`` for an ``article:<id>`` (a post found by :meth:`find`,
        whose publish_id was lost). ``state`` is one of :data:`PUBLISH_STATES`' values (``publishing``
        until WeChat has decided) or ``unknown``. :raise PublishError: as every call."""
        if publish_id.startswith(ARTICLE_PREFIX):
            article_id = publish_id[len(ARTICLE_PREFIX):]
            body = self._call("/cgi-bin/freepublish/getarticle", credentials, allow_private,
                              json={"article_id": article_id})
            items = body.get("news_item") or []
            deleted = bool(items) and all(i.get("is_deleted") for i in items)
            return {"state": "deleted" if deleted else "published", "article_id": article_id,
                    "article_url": items[0].get("url") if items else None}
        body = self._call("/cgi-bin/freepublish/get", credentials, allow_private, json={"publish_id": publish_id})
        items = (body.get("article_detail") or {}).get("item") or []
        return {"state": PUBLISH_STATES.get(body.get("publish_status"), "unknown"),
                "article_id": body.get("article_id"),
                "article_url": items[0].get("article_url") if items else None}

    def find(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult | None:
        """The article an earlier attempt published, if its answer was lost: the latest successful
        publications (``freepublish/batchget``, without content) searched for our title, digest and
        "read original" link. WeChat has no idempotency key, and an article still in review is not
        listed yet: a lost answer in that window can still mean a second article."""
        title, digest = _title(post), _digest(post)
        body = self._call("/cgi-bin/freepublish/batchget", credentials, allow_private,
                          json={"offset": 0, "count": FIND_WINDOW, "no_content": 1})
        for item in body.get("item") or []:
            news = ((item.get("content") or {}).get("news_item") or [{}])[0]
            if news.get("title") == title and news.get("digest") == digest \
                    and (news.get("content_source_url") or None) == (post.link or None) and item.get("article_id"):
                return PublishResult(external_id=ARTICLE_PREFIX + str(item["article_id"]),
                                     detail={"article_url": news.get("url"), "found": True})
        return None

    def _call(self, path: str, credentials: dict, allow_private: bool, **kwargs) -> dict:
        token = credentials["access_token"]
        params = {**kwargs.pop("params", {}), "access_token": token}
        url = f"{credentials.get('api_base') or DEFAULT_API_BASE}{path}"
        if "json" in kwargs:  # WeChat reads UTF-8 as is; \u escapes would reach readers
            kwargs["content"] = json_utf8(kwargs.pop("json"))
            kwargs["headers"] = {"Content-Type": "application/json; charset=utf-8"}
        res = call("WeChat", "POST", url, allow_private, self.timeout, params=params, **kwargs)
        body = json_body(res)
        code = body.get("errcode", 0) if isinstance(body, dict) else None
        if res.status_code == 200 and code == 0:
            return body
        message = str(body.get("errmsg") if isinstance(body, dict) else "")[:300].replace(token, "<token>") \
            or f"HTTP {res.status_code}"
        step = path.rsplit("/cgi-bin/", 1)[-1]
        if code in TOKEN_ERRORS:
            raise TokenExpired(f"WeChat refused the access token ({code} {message})")
        if code == 45011:  # per minute
            raise rate_limited("WeChat", 60, code)
        if code == 45009:  # per day
            raise rate_limited("WeChat", seconds_to_beijing_midnight(), code)
        # The step stays in the log, not in the message the marketer reads.
        log.info("WeChat refused %s: %s %s", step, code, message)
        raise PublishError(f"WeChat refused the article: {message} ({code if code is not None else res.status_code})",
                           retryable=code == -1 or res.status_code >= 500)


def _title(post: OutgoingPost) -> str:
    return cut_text(post.title or post.text.split("\n", 1)[0], 32)[0]


def _digest(post: OutgoingPost) -> str:
    return cut_text(" ".join(post.text.split()), 120)[0]


def json_utf8(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def article_html(text: str, image_urls: list[str]) -> str:
    """The article body: one paragraph per line of the post, then its images (hosted by WeChat)."""
    paragraphs = [f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip()]
    images = [f'<p><img src="{html.escape(url, quote=True)}"/></p>' for url in image_urls]
    return "".join(paragraphs + images)


def seconds_to_beijing_midnight(now: datetime | None = None) -> float:
    """WeChat's daily quotas start again at midnight, Beijing time."""
    now = (now or datetime.now(timezone.utc)).astimezone(BEIJING)
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (tomorrow - now).total_seconds()


SPEC = ChannelSpec(
    id="wechat_official",
    timeline_width=343,
    long_press_qr=True,
    name="WeChat Official Account",
    name_zh="公众号",
    text_limit=19_999,  # body < 20,000 characters
    title_limit=32,
    summary_limit=128,
    hashtag_style="none",
    link_policy="one_link",
    max_images=1,
    # The 1:1 cover's pixel size is ours: only the ratio is documented.
    image_sizes=(ImageSize("cover", 900, 383), ImageSize("cover_square", 900, 900)),
    publish_kind="kit",
    unconfirmed=("image_sizes", "timeline_width"),
)

CHANNEL = Channel(SPEC, publisher=WechatOfficialPublisher())
