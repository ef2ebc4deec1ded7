"""The interface every channel shares, and the one every publishing adapter implements.

A channel is its spec (what it accepts), how a campaign is written for it
(:meth:`Channel.compose`), and, for channels with an API, a
:class:`Publisher` that posts to the brand's own account. Adapters are pure of
the database: they get a post and the channel's credentials, and answer a
:class:`PublishResult` or raise :class:`PublishError`. A channel never imports
the database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from channels.compose import ComposedPost, compose
from channels.content import MasterContent, SharerVoice
from channels.spec import ChannelSpec
from channels.textcut import find_urls
from plumbing import guarded_http


@dataclass(frozen=True)
class OutgoingImage:
    """An image to publish: its bytes (uploaded or inlined), its public URL, or both."""

    url: str | None = None
    data: bytes | None = None
    filename: str = "image.jpg"
    content_type: str = "image/jpeg"
    width: int | None = None
    height: int | None = None
    alt: str | None = None  # the image's description for screen readers, where the platform takes one


@dataclass(frozen=True)
class OutgoingPost:
    """A post composed for one channel, ready to send.

    ``key`` is the same on every attempt of one publication (receivers that
    can, deduplicate on it); ``extra`` carries ids the webhook passes along.
    """

    text: str
    title: str | None = None
    images: tuple[OutgoingImage, ...] = ()
    link: str | None = None
    key: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PublishResult:
    external_id: str
    detail: dict = field(default_factory=dict)


class PublishError(Exception):
    """Publishing failed. ``retryable`` says whether trying later may succeed;
    ``retry_after`` (seconds) is the channel's own advice, when it gave one."""

    def __init__(self, message: str, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.message, self.retryable, self.retry_after = message, retryable, retry_after


class TokenExpired(PublishError):
    """The platform refused the access token as expired or revoked: refresh it (or fetch a new
    one) and try once more; if that fails too, the brand must connect the account again."""

    def __init__(self, message: str):
        super().__init__(message, retryable=True)


@dataclass(frozen=True)
class PostMetrics:
    """How one post did, as far as the platform tells (None: not offered)."""

    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    views: int | None = None


class InvalidCredentials(ValueError):
    """Credentials that cannot work; ``fields`` maps each bad field to why."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("invalid credentials: " + ", ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


def alt_text(post: "OutgoingPost", image: OutgoingImage, limit: int) -> str:
    """The image's description (alt text) for platforms that take one: its own, else the post's title
    or first line (a product picture says what the post says), at most ``limit`` characters."""
    text = image.alt or post.title or (post.text.strip().splitlines() or [""])[0]
    return " ".join(text.split())[:limit]


def same_post_text(ours: str, theirs: str) -> bool:
    """Whether a platform's copy of a post is the text we sent: platforms wrap links (t.co,
    t.cn) and may trim whitespace, so links and spacing are ignored."""
    def plain(text: str) -> str:
        for start, end in reversed(find_urls(text)):
            text = text[:start] + "\u2063" + text[end:]
        return " ".join(text.split())

    return plain(ours) == plain(theirs)


class Publisher(Protocol):
    channel: str
    # Fields the adapter may generate when absent (shown to the owner once).
    generated: tuple[str, ...]

    def validate(self, credentials: dict, allow_private: bool) -> dict:
        """The credentials, normalised. :raise InvalidCredentials: a field is missing or bad."""

    def publish(self, post: OutgoingPost, credentials: dict, allow_private: bool) -> PublishResult:
        """Send ``post``. :raise PublishError: it was not published."""


class BasePublisher:
    """The shared half of an adapter: field checking around the adapter's own :meth:`check`."""

    channel = ""
    fields: tuple[str, ...] = ()
    generated: tuple[str, ...] = ()

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout

    def validate(self, credentials: dict, allow_private: bool) -> dict:
        errors: dict[str, str] = {}
        for name in credentials:
            if name not in self.fields:
                errors[name] = f"unknown field; expected {', '.join(self.fields)}"
        clean = self.check(credentials, allow_private, errors)
        if errors:
            raise InvalidCredentials(errors)
        return clean

    def check(self, credentials: dict, allow_private: bool, errors: dict) -> dict:
        """The normalised credentials; notes each bad field in ``errors``."""
        raise NotImplementedError


def text_field(credentials: dict, name: str, errors: dict, required: bool = True, max_length: int = 500) -> str | None:
    """``credentials[name]`` as a stripped string, noting problems in ``errors``."""
    value = credentials.get(name)
    if value is None or value == "":
        if required:
            errors[name] = "required"
        return None
    if not isinstance(value, str) or len(value) > max_length or any(ord(c) < 32 for c in value):
        errors[name] = f"a string of at most {max_length} printable characters"
        return None
    return value.strip()


def url_field(credentials: dict, name: str, errors: dict, allow_private: bool, required: bool = True) -> str | None:
    """An http(s) URL that the SSRF guard lets through."""
    url = text_field(credentials, name, errors, required, 2000)
    if url:
        try:
            guarded_http.check_url(url, allow_private)
        except guarded_http.TargetRefused as exc:
            errors[name] = str(exc)
            return None
    return url

class Channel:
    """A channel: ``spec`` plus :meth:`compose`.

    Subclasses override :meth:`compose` only when the channel needs more than
    the spec-driven composition in :mod:`publishing.compose`.
    """

    def __init__(self, spec: ChannelSpec, publisher: Publisher | None = None) -> None:
        self.spec = spec
        self.publisher = publisher

    @property
    def id(self) -> str:
        return self.spec.id

    def compose(self, content: MasterContent, voice: SharerVoice | None = None) -> ComposedPost:
        """The post's text for this channel; see :func:`publishing.compose.compose`."""
        return compose(self.spec, content, voice)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec.id}>"
