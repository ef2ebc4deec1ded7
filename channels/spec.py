"""What a channel accepts, as data.

A :class:`ChannelSpec` holds the limits, sizes and policies listed in
``CHANNELS.md``. Figures that come from secondary sources are named in
``unconfirmed`` so they stay visible and easy to correct; no code path treats
them differently.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from channels.textcut import x_weighted_length

HASHTAG_STYLES = frozenset({"weibo", "hash", "none"})
LINK_POLICIES = frozenset({"clickable", "qr_only", "one_link", "no_cjk_url"})
WEIGHTED_LENGTHS = frozenset({"x"})
PUBLISH_KINDS = frozenset({"kit", "api"})


@dataclass(frozen=True)
class ImageSize:
    """One image a channel wants, by role (``feed``, ``poster``, ``cover``, ``story``...).

    ``height`` is ``None`` where only the width is fixed and the height follows
    the image's own aspect ratio (email's 1200-wide inline images).
    """

    role: str
    width: int
    height: int | None = None


@dataclass(frozen=True)
class ChannelSpec:
    """A channel's rules.

    Lengths (``text_limit``, ``title_limit``, ``summary_limit``,
    ``caption_limit``, ``preview_limit``) are measured with :meth:`measure`;
    ``None`` means no limit, except ``title_limit`` where ``None`` means the
    channel has no title field at all (the title then opens the text).

    * ``hashtag_style``: ``"weibo"`` renders ``#话题#``, ``"hash"`` renders
      ``#tag``, ``"none"`` leaves tags out.
    * ``link_policy``: ``"clickable"`` puts the link in the text;
      ``"qr_only"`` means links are not clickable, so the link travels in the
      poster's QR code and the text names the code word instead;
      ``"one_link"`` means one "read original" link outside the text;
      ``"no_cjk_url"`` is clickable but the URL must be pure ASCII.
    * ``preview_limit``: how much shows before the channel folds the text.
    * ``caption_limit``: the shorter limit for text sent with media.
    * ``personal_voice``: the channel is a person's own feed, so a sharer's
      version speaks in their voice.
    * ``publish_kind``: ``"kit"`` (a copy-ready kit in the sellers' content
      library) or ``"api"`` (an adapter posts it).
    * ``long_press_qr``: the channel's app recognises a QR code in a picture
      pressed and held, so posters say "长按识别二维码" rather than "scan".
    * ``qr_reduces_reach``: the platform is reported to show posts whose
      images carry a QR code to fewer people.
    * ``covered_corner``: where the app's own buttons and caption cover the
      image (``"bottom_right"``).
    * ``timeline_width``: how wide (CSS px on a 375 px phone) the timeline
      shows a single image; posters must still scan at that size.
    * ``long_form``: a forum post (an answer, an article, a thread): the text is
      the whole body followed by the product facts (each product, its price,
      the badges), not a short post cut to size.
    * ``tone`` / ``tone_zh``: how posts read there and what its rules forbid,
      for the people who post (English and Chinese).
    * ``in_library``: whether sellers share this channel by hand, so its live
      posts appear in their library, feed and notices (``False`` for
      machine-to-machine channels such as the webhook).

    :raise ValueError: on construction, for an unknown style, policy or kind,
        a non-positive limit, or an ``unconfirmed`` name that is not a field.
    """

    id: str
    name: str
    name_zh: str
    text_limit: int | None
    title_limit: int | None = None
    summary_limit: int | None = None
    caption_limit: int | None = None
    preview_limit: int | None = None
    hashtag_style: str = "hash"
    max_hashtags: int | None = None
    link_policy: str = "clickable"
    weighted_length: str | None = None
    max_images: int | None = None
    image_sizes: tuple[ImageSize, ...] = ()
    max_image_bytes: int | None = None
    first_image_no_qr: bool = False
    long_press_qr: bool = False
    qr_reduces_reach: bool = False
    covered_corner: str | None = None
    timeline_width: int | None = None
    personal_voice: bool = False
    publish_kind: str = "kit"
    in_library: bool = True
    long_form: bool = False
    tone: str = ""
    tone_zh: str = ""
    unconfirmed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.hashtag_style not in HASHTAG_STYLES:
            raise ValueError(f"{self.id}: unknown hashtag_style {self.hashtag_style!r}")
        if self.link_policy not in LINK_POLICIES:
            raise ValueError(f"{self.id}: unknown link_policy {self.link_policy!r}")
        if self.weighted_length is not None and self.weighted_length not in WEIGHTED_LENGTHS:
            raise ValueError(f"{self.id}: unknown weighted_length {self.weighted_length!r}")
        if self.publish_kind not in PUBLISH_KINDS:
            raise ValueError(f"{self.id}: unknown publish_kind {self.publish_kind!r}")
        for name in ("text_limit", "title_limit", "summary_limit", "caption_limit",
                     "preview_limit", "max_hashtags", "max_images", "max_image_bytes", "timeline_width"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{self.id}: {name} must be positive")
        known = {f.name for f in fields(self)}
        unknown = set(self.unconfirmed) - known
        if unknown:
            raise ValueError(f"{self.id}: unconfirmed names unknown fields {sorted(unknown)}")

    def measure(self, text: str) -> int:
        """The length of ``text`` as this channel counts it (code points unless weighted)."""
        if self.weighted_length == "x":
            return x_weighted_length(text)
        return len(text)

    def to_json(self) -> dict:
        """The spec as JSON-able values (for ``GET /api/v1/channels``)."""
        data = asdict(self)
        data["image_sizes"] = [asdict(size) for size in self.image_sizes]
        data["unconfirmed"] = list(self.unconfirmed)
        return data
