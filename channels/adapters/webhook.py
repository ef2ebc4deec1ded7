"""The generic webhook channel: the whole post as JSON, POSTed and signed per
Standard Webhooks (the same signing as outgoing event webhooks).

Credentials are ``url`` and a ``secret``; without one a secret is generated
(and shown to the owner once). 2xx is success; 408, 429 and 5xx are retryable.
"""
from __future__ import annotations

import json

import httpx

import outbound
import signing
from channels.adapters.base import (BasePublisher, OutgoingPost, PublishError, PublishResult,
                                    url_field)

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
        except outbound.TargetRefused as exc:
            raise PublishError(f"webhook refused: {exc}", retryable=False) from None
        except httpx.HTTPError as exc:
            raise PublishError(f"webhook unreachable: {type(exc).__name__}: {exc}", retryable=True) from None
        if 200 <= res.status_code < 300:
            return PublishResult(external_id=message_id, detail={"status_code": res.status_code})
        retry_after = res.headers.get("retry-after")
        raise PublishError(f"webhook answered HTTP {res.status_code}", res.status_code in (408, 429) or res.status_code >= 500,
                           float(retry_after) if retry_after and retry_after.isdigit() else None)


def post_json(post: OutgoingPost) -> dict:
    """The post as the receiver sees it; images by URL only."""
    return {**post.extra, "title": post.title, "text": post.text, "link": post.link,
            "images": [{"url": i.url, "width": i.width, "height": i.height} for i in post.images if i.url]}


PUBLISHER = WebhookPublisher(timeout=15.0)
