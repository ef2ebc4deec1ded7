"""Telegram: a message (4,096) or, with photos, a caption (1,024), by the Bot API.

Telegram by the Bot API: ``sendMessage``, ``sendPhoto`` (one image, with
caption) or ``sendMediaGroup`` (an album of 2 to 10, caption on the first).

``api_base`` points at a self-hosted Bot API server when set. Every answer is
checked twice: the HTTP status and the JSON ``ok`` field. 429 (with
``retry_after``) and 5xx are retryable; other refusals are not.
"""
from __future__ import annotations

import json
import re

import httpx

from channels.base import BasePublisher, OutgoingImage, OutgoingPost, PublishError, PublishResult, text_field, url_field
from plumbing import guarded_http

DEFAULT_API_BASE = "https://api.telegram.org"
MAX_ALBUM = 10
FIELDS = ("bot_token", "chat_id", "api_base")
_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,100}")
_CHAT = re.compile(r"-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,64}")


class TelegramPublisher(BasePublisher):
    channel = "telegram"
    fields = FIELDS

    def check(self, credentials: dict, allow_private: bool, errors: dict) -> dict:
        token = text_field(credentials, "bot_token", errors)
        if token and not _TOKEN.fullmatch(token):
            errors["bot_token"] = "not a bot token (digits, a colon, then the secret part)"
        chat = credentials.get("chat_id")
        chat = str(chat) if isinstance(chat, int) and not isinstance(chat, bool) else text_field(credentials, "chat_id", errors)
        if chat and not _CHAT.fullmatch(chat):
            errors["chat_id"] = "a numeric chat id or an @channel username"
        api_base = url_field(credentials, "api_base", errors, allow_private, required=False)
        return {"bot_token": token, "chat_id": chat, "api_base": (api_base or DEFAULT_API_BASE).rstrip("/")}

    def publish(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult:
        images = post.images[:MAX_ALBUM]
        chat = credentials["chat_id"]
        if not images:
            method, data, files = "sendMessage", {"chat_id": chat, "text": post.text}, None
        elif len(images) == 1:
            media, upload = _media(images[0], "photo")
            # sendPhoto takes the upload in the "photo" field itself (attach:// is for albums).
            method, data, files = "sendPhoto", {"chat_id": chat, "caption": post.text}, upload
            if upload is None:
                data["photo"] = media
        else:
            method, files, album = "sendMediaGroup", {}, []
            for i, image in enumerate(images):
                media, upload = _media(image, f"photo{i}")
                files.update(upload or {})
                album.append({"type": "photo", "media": media, **({"caption": post.text} if i == 0 else {})})
            data = {"chat_id": chat, "media": json.dumps(album, ensure_ascii=False)}
        result = self._call(credentials, method, data, files or None, allow_private)
        messages = result if isinstance(result, list) else [result]
        ids = [str(m.get("message_id")) for m in messages if isinstance(m, dict)]
        if not ids:
            raise PublishError(f"Telegram {method} answered no message id", retryable=False)
        return PublishResult(external_id=",".join(ids), detail={"method": method, "message_ids": ids})

    def _call(self, credentials: dict, method: str, data: dict, files: dict | None, allow_private: bool):
        token = credentials["bot_token"]
        url = f"{credentials.get('api_base') or DEFAULT_API_BASE}/bot{token}/{method}"
        try:
            with guarded_http.client(allow_private, self.timeout) as http:
                if files:
                    res = http.post(url, data=data, files=files)
                else:
                    res = http.post(url, json=data)
        except guarded_http.TargetRefused as exc:
            raise PublishError(f"Telegram API refused: {exc}", retryable=False) from None
        except httpx.HTTPError as exc:
            # Never echo the URL: it carries the bot token.
            raise PublishError(f"Telegram API unreachable: {type(exc).__name__}", retryable=True) from None
        try:
            body = res.json()
        except ValueError:
            body = {}
        if res.status_code == 200 and isinstance(body, dict) and body.get("ok") is True:
            return body.get("result")
        description = str(body.get("description") or f"HTTP {res.status_code}").replace(token, "<token>")
        retry_after = (body.get("parameters") or {}).get("retry_after") if isinstance(body, dict) else None
        code = body.get("error_code", res.status_code) if isinstance(body, dict) else res.status_code
        retryable = code == 429 or res.status_code == 429 or res.status_code >= 500
        raise PublishError(f"Telegram {method} failed ({code}): {description}", retryable,
                           float(retry_after) if retry_after is not None else None)


def _media(image: OutgoingImage, name: str) -> tuple[str, dict | None]:
    """How Telegram finds the image: an upload (``attach://name``) when we have its bytes, else its URL."""
    if image.data is not None:
        return f"attach://{name}", {name: (image.filename, image.data, image.content_type)}
    if image.url:
        return image.url, None
    raise PublishError("an image has neither data nor URL", retryable=False)



from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="telegram",
    timeline_width=300,
    unconfirmed=("timeline_width",),
    name="Telegram",
    name_zh="电报",
    text_limit=4096,
    caption_limit=1024,
    hashtag_style="hash",
    link_policy="clickable",
    max_images=10,  # an album holds 2 to 10
    # Telegram scales photos to 1280 on the longest side: the box, not a crop.
    image_sizes=(ImageSize("photo", 1280, 1280),),
    personal_voice=True,
    publish_kind="api",
    in_library=False,  # the brand's bot posts to the brand's own channel: sellers have nothing to post there
)

CHANNEL = Channel(SPEC, publisher=TelegramPublisher())
