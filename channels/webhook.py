"""Webhook: the whole post, uncut, to any HTTP endpoint (signed, Standard Webhooks).

The receiver gets every part as its own field, so the post carries the title
as well as the full text; images travel as URLs.

The generic webhook channel: the whole post as JSON, POSTed and signed per
Standard Webhooks (the same signing as outgoing event webhooks).

Credentials are ``url`` and a ``secret``; without one a secret is generated
(and shown to the owner once). 2xx is success; 408, 429 and 5xx are retryable.
"""
from __future__ import annotations

import json

import httpx

from channels.base import BasePublisher, OutgoingPost, PublishError, PublishResult, url_field
from plumbing import guarded_http, signing

FIELDS = ("url", "secret")


class WebhookPublisher(BasePublisher):
    channel = "webhook"
    fields = FIELDS
    generated = ("secret",)

    def check(self, credentials: dict, allow_private: bool, errors: dict) -> dict:
        url = url_field(credentials, "url", errors, allow_private)
        secret = credentials.get("secret")
        if secret is not None and not signing.is_secret(secret):
            errors["secret"] = "a whsec_ secret: whsec_ and base64 of 24 to 64 bytes"
        return {"url": url, "secret": secret or signing.new_secret()}

    def publish(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult:
        message_id = post.key or signing.new_message_id()
        body = json.dumps({"type": "post.published", "data": post_json(post)}, separators=(",", ":"),
                          ensure_ascii=False)
        try:
            res = signing.post_signed(credentials["url"], credentials["secret"], message_id, body,
                                      allow_private, self.timeout)
        except guarded_http.TargetRefused as exc:
            raise PublishError(f"webhook refused: {exc}", retryable=False) from None
        except httpx.HTTPError as exc:
            raise PublishError(f"webhook unreachable: {type(exc).__name__}: {exc}", retryable=True) from None
        if 200 <= res.status_code < 300:
            return PublishResult(external_id=message_id, detail={"status_code": res.status_code})
        retry_after = res.headers.get("retry-after")
        raise PublishError(f"webhook answered HTTP {res.status_code}", res.status_code in (408, 429) or res.status_code >= 500,
                           float(retry_after) if retry_after and retry_after.isascii() and retry_after.isdigit() else None)


def post_json(post: OutgoingPost) -> dict:
    """The post as the receiver sees it; images by URL only."""
    return {**post.extra, "title": post.title, "text": post.text, "link": post.link,
            "images": [{"url": i.url, "width": i.width, "height": i.height} for i in post.images if i.url]}



from dataclasses import replace

from channels.base import Channel
from channels.compose import ComposedPost
from channels.content import MasterContent, SharerVoice
from channels.spec import ChannelSpec

SPEC = ChannelSpec(
    id="webhook",
    name="Webhook",
    name_zh="Webhook",
    text_limit=None,
    hashtag_style="hash",
    link_policy="clickable",
    max_images=None,
    publish_kind="api",
    in_library=False,  # machine-to-machine: nobody shares it by hand
)


class WebhookChannel(Channel):
    """Adds the title as a field: a webhook has no limits to respect."""

    def compose(self, content: MasterContent, voice: SharerVoice | None = None) -> ComposedPost:
        post = super().compose(content, voice)
        return replace(post, title=content.title.strip() or None)


CHANNEL = WebhookChannel(SPEC, publisher=WebhookPublisher(timeout=15.0))
