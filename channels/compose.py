"""A campaign's text written for one channel (pure).

:func:`compose` takes a channel spec, the master content and optionally the
sharer the post is made for, and returns a :class:`ComposedPost`: the text cut
and shaped to the channel's rules, with machine-readable warnings for anything
the marketer should know (a cut title, dropped hashtags...).

The text is built from three blocks::

    lead   the sharer's voice line (personal channels) and the title line
           (channels without a title field)
    body   the marketer's body: the only part ever cut
    facts  on long-form (forum) channels only: each product with its price,
           and the badges, in place of the price line
    tail   the price, the call to action with the link (or the QR prompt and
           code word where links are not clickable), the hashtags

Cutting the body, never the tail, keeps the price and the link intact.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

from channels.content import MasterContent, SharerVoice
from channels.textcut import ELLIPSIS, cut_text, find_urls
from plumbing.money import ROUNDING, currency_symbol, exponent

if TYPE_CHECKING:
    from channels.spec import ChannelSpec

# The words compose adds, per language. Chinese for any ``zh*`` language,
# English otherwise.
_PHRASES = {
    "zh": {
        "title": "【{title}】",
        "was": "（原价{price}）",
        "separator": "：",
        "qr": "长按识别海报二维码",
        "qr_later_image": "扫描后面图片中的二维码",
        "code": "，或留言口令 {code}",
        "read_original": "点击「阅读原文」",
        "facts": "【商品信息】",
        "fact": "· {name}：{price}",
        "fact_unnamed": "· {price}",
        "badges": "· {badges}",
        "badge_separator": "、",
    },
    "en": {
        "title": "{title}",
        "was": " (was {price})",
        "separator": ": ",
        "qr": "Scan the QR code on the poster",
        "qr_later_image": "Scan the QR code in the later images",
        "code": " or comment with code {code}",
        "read_original": "Tap \"Read more\"",
        "facts": "The product",
        "fact": "- {name}: {price}",
        "fact_unnamed": "- {price}",
        "badges": "- {badges}",
        "badge_separator": ", ",
    },
}

# Amounts written in the body: "¥199", "$29.90", "199元".
_AMOUNT_IN_TEXT = re.compile(
    r"[¥￥$€£]\s?(\d[\d,]*(?:\.\d+)?)|(\d[\d,]*(?:\.\d+)?)\s?(?:元|块)"
)
_BLOCK_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class ComposeWarning:
    """Something the marketer should know about a composed post.

    ``code`` is stable and machine-readable (``text_cut``, ``title_cut``,
    ``caption_cut``, ``too_many_hashtags``, ``hashtags_dropped``,
    ``body_url_removed``, ``no_link``, ``original_price_ignored``,
    ``price_mismatch``); ``message`` is for people.
    """

    code: str
    message: str

    def to_json(self) -> dict:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class ComposedPost:
    """A post's text for one channel.

    ``title`` and ``summary`` are ``None`` where the channel has no such field;
    ``caption`` is the text cut to the channel's caption limit (sent with
    media), ``None`` where the channel has none. ``link`` is where the post
    points: in the text where links are clickable, in the poster's QR code or
    the "read original" field otherwise. ``hashtags`` are as written in the
    text (``#话题#`` or ``#tag``).
    """

    channel: str
    text: str
    title: str | None = None
    summary: str | None = None
    caption: str | None = None
    link: str | None = None
    hashtags: tuple[str, ...] = ()
    warnings: tuple[ComposeWarning, ...] = ()

    @property
    def warning_codes(self) -> tuple[str, ...]:
        return tuple(warning.code for warning in self.warnings)

    def to_json(self) -> dict:
        return {
            "channel": self.channel,
            "text": self.text,
            "title": self.title,
            "summary": self.summary,
            "caption": self.caption,
            "link": self.link,
            "hashtags": list(self.hashtags),
            "warnings": [warning.to_json() for warning in self.warnings],
        }


def compose(spec: ChannelSpec, content: MasterContent, voice: SharerVoice | None = None) -> ComposedPost:
    """Write ``content`` for the channel ``spec``, for ``voice`` if given.

    With a voice the post carries the sharer's tracked link (or, where links
    are not clickable, their QR target and code word), and on personal
    channels it speaks in their voice. Without one it points to
    ``content.landing_url``. Problems that still leave a usable post are
    reported in ``warnings``, never raised. Never raises for well-formed
    ``MasterContent``.
    """
    phrases = _PHRASES["zh" if content.language.lower().startswith("zh") else "en"]
    warnings: list[ComposeWarning] = []
    hashtags = render_hashtags(spec, content.hashtags, warnings)
    link = _link(spec, content, voice)

    title = None
    if spec.title_limit is not None:
        title, was_cut = cut_text(content.title.strip(), spec.title_limit, spec.measure)
        if was_cut:
            warnings.append(ComposeWarning(
                "title_cut", f"The title is longer than {spec.name}'s {spec.title_limit} and was cut."))
    summary = None
    if spec.summary_limit is not None:
        summary, _ = cut_text(" ".join(content.body.split()), spec.summary_limit, spec.measure)

    lines = {
        "voice": _voice_line(spec, content, voice, phrases),
        "title": phrases["title"].format(title=content.title.strip())
        if spec.title_limit is None and content.title.strip() else "",
        "price": "" if spec.long_form else _price_line(content, phrases, warnings),
        "facts": _facts_block(content, phrases, warnings) if spec.long_form else "",
        "action": _action_line(spec, content, voice, link, phrases, warnings),
        "hashtags": " ".join(hashtags),
    }
    body = _prepare_body(spec, content.body, warnings)
    _check_body_prices(content, body, warnings)

    text = _fit(spec, lines, body, spec.text_limit, "text_cut", warnings)
    caption = None
    if spec.caption_limit is not None:
        caption = _fit(spec, lines, body, spec.caption_limit, "caption_cut", warnings)
    return ComposedPost(
        channel=spec.id,
        text=text,
        title=title,
        summary=summary,
        caption=caption,
        link=link or None,
        hashtags=hashtags,
        warnings=tuple(warnings),
    )


def render_hashtags(spec: ChannelSpec, raw: tuple[str, ...], warnings: list[ComposeWarning]) -> tuple[str, ...]:
    """``raw`` tags in the channel's syntax: spaces and ``#`` stripped, duplicates
    (case-insensitive) dropped, capped at ``spec.max_hashtags``.

    Appends a ``too_many_hashtags`` warning when the cap drops tags. Returns
    ``()`` for channels without hashtags.
    """
    if spec.hashtag_style == "none":
        return ()
    names: list[str] = []
    seen: set[str] = set()
    for tag in raw:
        name = re.sub(r"[\s#＃]+", "", tag)
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    if spec.max_hashtags is not None and len(names) > spec.max_hashtags:
        warnings.append(ComposeWarning(
            "too_many_hashtags",
            f"{spec.name} allows {spec.max_hashtags} hashtags; "
            f"{len(names) - spec.max_hashtags} were left out."))
        names = names[: spec.max_hashtags]
    if spec.hashtag_style == "weibo":
        return tuple(f"#{name}#" for name in names)
    return tuple(f"#{name}" for name in names)


def format_price(amount: Decimal, currency: str) -> str:
    """``Decimal("199"), "CNY"`` → ``"¥199.00"``.

    Rounded half up to the currency's minor unit (see ``money``); currencies
    without a known symbol are written with their code (``"CHF 199.00"``).
    """
    places = exponent(currency)
    value = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUNDING)
    number = f"{value:,.{places}f}"
    symbol = currency_symbol(currency)
    return f"{symbol}{number}" if symbol else f"{currency} {number}"


def ascii_url(url: str) -> str:
    """``url`` with an IDNA host and every other non-ASCII character
    percent-encoded as UTF-8; ASCII URLs come back unchanged. Never raises:
    a URL too broken to split is percent-encoded as a whole.
    """
    if url.isascii():
        return url
    # "www.例子.cn/x" has no scheme: parse it as a network location, not a path.
    prefix = "//" if "://" not in url else ""
    try:
        parts = urlsplit(prefix + url)
        userinfo, at, hostport = parts.netloc.rpartition("@")
        host, colon, port = hostport.partition(":")
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            host = _percent_encode_non_ascii(host)
        netloc = _percent_encode_non_ascii(userinfo) + at + host + colon + port
        encoded = urlunsplit((
            parts.scheme,
            netloc,
            _percent_encode_non_ascii(parts.path),
            _percent_encode_non_ascii(parts.query),
            _percent_encode_non_ascii(parts.fragment),
        ))
    except ValueError:
        return _percent_encode_non_ascii(url)
    return encoded[len(prefix):]


def _percent_encode_non_ascii(text: str) -> str:
    return "".join(ch if ch.isascii() else quote(ch, safe="") for ch in text)


def _link(spec: ChannelSpec, content: MasterContent, voice: SharerVoice | None) -> str:
    if voice is None:
        link = content.landing_url
    elif spec.link_policy == "qr_only":
        link = voice.qr_target
    else:
        link = voice.link
    link = link.strip()
    return ascii_url(link) if spec.link_policy == "no_cjk_url" else link


def _voice_line(spec: ChannelSpec, content: MasterContent, voice: SharerVoice | None, phrases: dict) -> str:
    # The marketer writes the opener per campaign: a stock "I use X and recommend it" read
    # like an app's referral banner, so without one the post opens with the product itself.
    if voice is None or not spec.personal_voice:
        return ""
    return content.seller_opener.strip()


def _price_line(content: MasterContent, phrases: dict, warnings: list[ComposeWarning]) -> str:
    if content.original_price is not None and content.original_price <= content.price:
        # A "was" price at or below the price is no saving; showing it
        # would mislead, and the brand's price is the only price shown.
        warnings.append(ComposeWarning(
            "original_price_ignored",
            "The original price is not above the price, so it is not shown."))
    return _priced(content.price, content.original_price, content.currency, phrases)


def _facts_block(content: MasterContent, phrases: dict, warnings: list[ComposeWarning]) -> str:
    """The product facts a forum post ends with: every product (the title's one when there is no list)
    at the brand's price, then the badges."""
    if content.products:
        products = [(p.name, _priced(p.price, p.original_price, content.currency, phrases)) for p in content.products]
    else:
        products = [(content.title.strip(), _price_line(content, phrases, warnings))]
    lines = [phrases["facts"], *(phrases["fact" if name else "fact_unnamed"].format(name=name, price=price)
                                 for name, price in products)]
    badges = [b.strip() for b in content.badges if b.strip()]
    if badges:
        lines.append(phrases["badges"].format(badges=phrases["badge_separator"].join(badges)))
    return "\n".join(lines)


def _priced(price: Decimal, original: Decimal | None, currency: str, phrases: dict) -> str:
    line = format_price(price, currency)
    if original is not None and original > price:
        line += phrases["was"].format(price=format_price(original, currency))
    return line


def _action_line(spec: ChannelSpec, content: MasterContent, voice: SharerVoice | None, link: str,
                 phrases: dict, warnings: list[ComposeWarning]) -> str:
    call = content.call_to_action.strip()
    if not link:
        warnings.append(ComposeWarning("no_link", "There is no landing URL, so the post carries no link."))
        return call
    if spec.link_policy == "qr_only":
        pointer = phrases["qr_later_image" if spec.first_image_no_qr else "qr"]
        if voice is not None and voice.code:
            pointer += phrases["code"].format(code=voice.code)
    elif spec.link_policy == "one_link":
        pointer = phrases["read_original"]
    else:
        pointer = link
    return f"{call}{phrases['separator']}{pointer}" if call else pointer


def _prepare_body(spec: ChannelSpec, body: str, warnings: list[ComposeWarning]) -> str:
    body = body.strip()
    if spec.link_policy == "no_cjk_url":
        return _replace_urls(body, ascii_url)
    if spec.link_policy != "qr_only":
        return body
    # Links are not clickable here: a raw URL is noise, and the buyer's way in
    # is the QR code and code word in the tail.
    removed = _replace_urls(body, lambda url: "")
    if removed == body:
        return body
    warnings.append(ComposeWarning(
        "body_url_removed",
        f"Links are not clickable on {spec.name}; URLs in the body were removed "
        "(the QR code carries the link)."))
    cleaned = re.sub(r"[ \t]{2,}", " ", removed)
    # "详情见 https://… 。" leaves "详情见 。": Chinese punctuation takes no space.
    cleaned = re.sub(r"[ \t]+(?=[，。！？、；：）」』】》])", "", cleaned)
    cleaned = re.sub(r"[ \t]+\n", "\n", cleaned)
    return re.sub(r"\n{3,}", "\n\n", cleaned).strip()


def _replace_urls(text: str, replacement: Callable[[str], str]) -> str:
    pieces, position = [], 0
    for start, end in find_urls(text):
        pieces += [text[position:start], replacement(text[start:end])]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _check_body_prices(content: MasterContent, body: str, warnings: list[ComposeWarning]) -> None:
    allowed = {content.price, content.original_price}
    for match in _AMOUNT_IN_TEXT.finditer(body):
        amount = Decimal((match.group(1) or match.group(2)).replace(",", ""))
        if amount not in allowed:
            warnings.append(ComposeWarning(
                "price_mismatch",
                f"The body mentions {match.group().strip()}, which is not the campaign's price."))
            return


# Lines given up, in this order, when even an empty body leaves the text over
# the limit: hashtags first (they only help discovery), then the title line,
# then the voice line. The price and the link (and a forum post's product
# facts, which carry the price) are never given up here.
_EXPENDABLE = ("hashtags", "title", "voice")


def _fit(spec: ChannelSpec, lines: dict[str, str], body: str, limit: int | None,
         code: str, warnings: list[ComposeWarning]) -> str:
    """Assemble the text within ``limit``, cutting the body first."""
    text = _assemble(lines, body)
    if limit is None or spec.measure(text) <= limit:
        return text
    lines = dict(lines)
    for dropped in (None, *_EXPENDABLE):
        if dropped is not None and lines[dropped]:
            lines[dropped] = ""
            if dropped == "hashtags":
                warnings.append(ComposeWarning(
                    "hashtags_dropped", f"No room for hashtags within {spec.name}'s {limit}."))
        room = limit - spec.measure(_assemble(lines, "")) - spec.measure(_BLOCK_SEPARATOR)
        if room < 0:
            continue
        cut_body, _ = cut_text(body, room, spec.measure)
        if cut_body in ("", ELLIPSIS):
            cut_body = ""
        candidate = _assemble(lines, cut_body)
        if spec.measure(candidate) <= limit:
            warnings.append(ComposeWarning(code, f"The text was cut to fit {spec.name}'s {limit}."))
            return candidate
    # Even price and link alone are over the limit: cut what is left as a whole.
    cut, _ = cut_text(_assemble(lines, ""), limit, spec.measure)
    warnings.append(ComposeWarning(code, f"The text was cut to fit {spec.name}'s {limit}; the link may be lost."))
    return cut


def _assemble(lines: dict[str, str], body: str) -> str:
    lead = "\n".join(line for line in (lines["voice"], lines["title"]) if line)
    tail = "\n".join(line for line in (lines["price"], lines["action"], lines["hashtags"]) if line)
    return _BLOCK_SEPARATOR.join(block for block in (lead, body, lines["facts"], tail) if block)
