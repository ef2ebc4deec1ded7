"""Product cards and sharer posters, drawn with Pillow as pure functions.

The expensive part (photo crop, text fitting) happens once per content
version in ``render_base``; each sharer's poster is ``render_poster``: a copy
of that base with a QR code, a name and a call to action pasted into the slot
the base left empty. Nothing here touches a database, a request or the
network: bytes and plain values in, images and bytes out.
"""
from __future__ import annotations

import io
import math
import warnings as _warnings
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import segno
from PIL import Image, ImageColor, ImageDraw, ImageOps

from publishing import fonts
from publishing.content import MasterContent, SharerVoice
from publishing.linebreak import truncate, wrap

Box = tuple[int, int, int, int]  # left, top, right, bottom

ROLES = ("feed", "poster", "cover", "story")
ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
DEFAULT_MAX_PIXELS = 50_000_000
DEFAULT_MAX_BYTES = 30 * 1024 * 1024

INK = (28, 28, 30)
MUTED = (110, 110, 115)
FAINT = (150, 150, 155)
PAPER = (255, 255, 255)
FOOTER = (245, 245, 247)
HAIRLINE = (228, 228, 232)

CURRENCY_SIGNS = {"CNY": "¥", "RMB": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£",
                  "HKD": "HK$", "TWD": "NT$", "KRW": "₩", "SGD": "S$", "AUD": "A$", "CAD": "C$"}


class InvalidImage(ValueError):
    """Uploaded bytes that are not a photo we will decode."""


@dataclass(frozen=True)
class TextBlock:
    """One laid-out piece of text: the box it was given and the ink it left."""

    name: str
    box: Box
    ink: Box
    size: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class RenderResult:
    """A rendered base image, how it was laid out, and what went less than well.

    ``warnings`` holds codes: ``image_upscaled``, ``no_photo``,
    ``text_shrunk``, ``text_truncated``, ``body_truncated``,
    ``brand_color_adjusted``, ``brand_color_invalid``.
    """

    image: Image.Image
    warnings: tuple[str, ...] = ()
    blocks: tuple[TextBlock, ...] = ()
    photo_box: Box | None = None
    qr_slot: Box | None = None
    upscale: float = 1.0


# ---------------------------------------------------------------- photos


def load_photo(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_bytes: int = DEFAULT_MAX_BYTES) -> Image.Image:
    """Decode an uploaded photo safely and turn it upright.

    Accepts PNG, JPEG and WebP (first frame). Dimensions are checked from the
    header before any pixel is decoded, so a decompression bomb costs nothing.
    Returns an RGB or RGBA image with EXIF orientation applied.

    :raise InvalidImage: for too many bytes, bytes that are not an image, an
        unsupported format, too many pixels, or a truncated or corrupt file.
    """
    if len(data) > max_bytes:
        raise InvalidImage(f"image is {len(data)} bytes; the limit is {max_bytes}")
    if not data:
        raise InvalidImage("image is empty")
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError as exc:
        raise InvalidImage(f"image has too many pixels: {exc}") from None
    except Image.DecompressionBombWarning:
        raise InvalidImage("image has too many pixels") from None
    except Exception:
        raise InvalidImage(_describe_rejected(data)) from None
    pixels = image.width * image.height
    if pixels > max_pixels:
        raise InvalidImage(f"image has {image.width}x{image.height} = {pixels} pixels; the limit is {max_pixels}")
    try:
        image.seek(0)
        image.load()
        image = ImageOps.exif_transpose(image)
    except Exception as exc:
        raise InvalidImage(f"image data is corrupt or truncated: {exc}") from None
    return _to_srgb(image)


def _describe_rejected(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data)) as other:
            found = other.format
    except Exception:
        return "data is not a recognised image"
    return f"{found} images are not accepted; use PNG, JPEG or WebP"


def _to_srgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    if icc:
        try:
            from PIL import ImageCms

            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            image = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode)
        except Exception:
            pass  # an unreadable profile: the pixels are still usable as they are
    image.info.clear()
    return image


def cover(photo: Image.Image, width: int, height: int) -> tuple[Image.Image, float]:
    """Scale and centre-crop ``photo`` to fill ``width`` x ``height`` exactly.

    Never stretches: one scale factor for both axes. Returns the image and
    that factor (above 1 means the photo was enlarged).
    """
    scale = max(width / photo.width, height / photo.height)
    crop_w, crop_h = width / scale, height / scale
    left = (photo.width - crop_w) / 2
    top = (photo.height - crop_h) / 2
    # reducing_gap=1.5: a fast box reduction first, then Lanczos over at least
    # 1.5x the target, which looks the same as a full Lanczos and costs a third.
    fitted = photo.resize(
        (width, height), Image.Resampling.LANCZOS, box=(left, top, left + crop_w, top + crop_h), reducing_gap=1.5
    )
    return fitted, scale


# ---------------------------------------------------------------- geometry


@dataclass(frozen=True)
class _Geometry:
    scale: float
    photo: Box
    text: Box
    accent: Box | None
    footer: Box | None
    qr_slot: Box | None
    stacked: bool


def _geometry(width: int, height: int, role: str) -> _Geometry:
    aspect = width / height
    poster = role == "poster"
    if aspect <= 1.2:  # square, portrait, story: photo above, text below
        s = width / 1080
        margin = round(72 * s)
        footer_h = round((0.25 if aspect >= 0.95 else 0.22) * height) if poster else 0
        tall = height / width >= 1.6
        safe_bottom = round(0.11 * height) if tall and not poster else 0
        panel_h = round(width * (0.41 if aspect >= 0.95 else 0.45 if not tall else 0.52))
        photo_bottom = height - footer_h - safe_bottom - panel_h
        pad = round(44 * s)
        accent_h = max(4, round(8 * s))
        text = (margin, photo_bottom + accent_h + pad, width - margin, photo_bottom + panel_h - pad)
        footer = (0, height - footer_h, width, height) if poster else None
        return _Geometry(s, (0, 0, width, photo_bottom), text, (0, photo_bottom, width, photo_bottom + accent_h),
                         footer, footer, True)
    # landscape and covers: text on the left, photo on the right
    s = math.sqrt((height / 900) * (width / 1600))
    if aspect >= 2:  # banner covers are shown small: type set larger for their size
        s = height / 640
    text_w = round(width * (0.5 if aspect < 2 else 0.52))
    margin = round(76 * s)
    accent_w = max(4, round(8 * s))
    bottom = height - margin
    slot = None
    if poster:
        slot_h = round(0.34 * height)
        slot = (0, height - slot_h, text_w, height)
        bottom = height - slot_h - round(24 * s)
    text = (margin, margin, text_w - margin, bottom)
    return _Geometry(s, (text_w + accent_w, 0, width, height), text, (text_w, 0, text_w + accent_w, height),
                     slot, slot, False)


def poster_slot(width: int, height: int) -> Box:
    """Where ``render_poster`` puts the QR code and sharer line for a size."""
    return _geometry(width, height, "poster").qr_slot  # type: ignore[return-value]


# ---------------------------------------------------------------- colour


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio between two colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _brand_rgb(color: str, notes: list[str]) -> tuple[int, int, int]:
    try:
        rgb = ImageColor.getrgb(color)[:3]
    except (ValueError, AttributeError):
        notes.append("brand_color_invalid")
        rgb = ImageColor.getrgb(MasterContent.brand_color)[:3]
    adjusted = rgb
    # Price text is large and bold, so 3:1 on white is the bar (WCAG AA large).
    while contrast(adjusted, PAPER) < 3.0:
        adjusted = tuple(round(c * 0.9) for c in adjusted)  # type: ignore[assignment]
    if adjusted != rgb:
        notes.append("brand_color_adjusted")
    return adjusted


def _tint(rgb: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    return tuple(round(255 - (255 - c) * amount) for c in rgb)  # type: ignore[return-value]


# ---------------------------------------------------------------- text fitting


@dataclass
class _Fitted:
    size: int
    lines: list[str]
    line_height: int
    shrunk: bool = False
    truncated: bool = False

    @property
    def height(self) -> int:
        return _block_height(self.size, self.line_height, len(self.lines))


def _line_height(size: int, leading: float) -> int:
    return math.ceil(size * leading)


def _block_height(size: int, line_height: int, lines: int) -> int:
    # Latin descenders (g, p, commas) reach below the ideographic em box:
    # the last line gets that much extra room so nothing is ever clipped.
    return line_height * lines + math.ceil(size * 0.1) if lines else 0


def fit_text(text: str, face: str, width: int, height: int, max_size: int, min_size: int,
             max_lines: int, leading: float = 1.25, balance: bool = False) -> _Fitted:
    """The largest size at which ``text`` wraps into the box, else truncation.

    Tries sizes from ``max_size`` down to ``min_size`` (binary search: fitting
    is monotonic in size); if even ``min_size`` overflows, keeps the lines that
    fit and ends the last with an ellipsis. ``balance`` evens out line lengths
    (for headlines; body text stays ragged-right).
    """
    min_size = max(1, min(min_size, max_size))

    def attempt(size: int) -> list[str] | None:
        lines = wrap(text, _usable(width, size), fonts.measurer(face, size))
        if len(lines) <= max_lines and _block_height(size, _line_height(size, leading), len(lines)) <= height:
            return lines
        return None

    best = attempt(max_size)
    if best is not None:
        if balance:
            best = _balance(text, face, max_size, width, best)
        return _Fitted(max_size, best, _line_height(max_size, leading))
    low, high, found = min_size, max_size - 1, None
    while low <= high:
        mid = (low + high) // 2
        lines = attempt(mid)
        if lines is not None:
            found, low = (mid, lines), mid + 1
        else:
            high = mid - 1
    if found:
        size, lines = found
        if balance:
            lines = _balance(text, face, size, width, lines)
        return _Fitted(size, lines, _line_height(size, leading), shrunk=True)
    size = min_size
    measure = fonts.measurer(face, size)
    lh = _line_height(size, leading)
    lines = wrap(text, _usable(width, size), measure)
    keep = max(1, min(max_lines, (height - math.ceil(size * 0.1)) // lh))
    kept = lines[:keep]
    kept[-1] = truncate(kept[-1] + ("" if len(lines) == keep else "…"), _usable(width, size), measure)
    return _Fitted(size, kept, lh, shrunk=True, truncated=True)


def _usable(width: int, size: int) -> int:
    # Bold glyphs can overhang their advance by a pixel or two at the line end.
    return width - math.ceil(size * 0.04)


def _balance(text: str, face: str, size: int, width: int, lines: list[str]) -> list[str]:
    """Re-wrap at the narrowest width that keeps the line count: no orphans.

    A designer would not leave "发 🍵" alone on a second line when both lines
    can be about equally long.
    """
    if len(lines) < 2:
        return lines
    measure = fonts.measurer(face, size)
    low, high, best = int(width * 0.5), _usable(width, size), lines
    while high - low > max(2, size // 8):
        mid = (low + high) // 2
        trial = wrap(text, mid, measure)
        if len(trial) <= len(lines):
            best, high = trial, mid
        else:
            low = mid
    return best


HANGING = frozenset("（【「『《〈〔〖［｛")


def _hang(line: str, face: str, size: int) -> float:
    """How far left to start a line so a full-width opening bracket's blank
    half does not look like an indent (标点挤压 at line start)."""
    if line and line[0] in HANGING:
        return max(0.0, fonts.left_bearing(line[0], face, size) - size * 0.04)
    return 0.0


def _draw_block(image: Image.Image, name: str, fitted: _Fitted, face: str, x: int, top: int,
                box: Box, fill) -> TextBlock:
    inks = []
    for i, line in enumerate(fitted.lines):
        baseline = top + i * fitted.line_height + (fitted.line_height - fitted.size) / 2 + fonts.EM_ASCENT * fitted.size
        left = x - _hang(line, face, fitted.size)
        fonts.draw_line(image, left, baseline, line, face, fitted.size, fill)
        inks.append(fonts.ink_box(line, face, fitted.size, left, baseline))
    ink = (min(b[0] for b in inks), min(b[1] for b in inks), max(b[2] for b in inks), max(b[3] for b in inks))
    return TextBlock(name, box, ink, fitted.size, tuple(fitted.lines))


# ---------------------------------------------------------------- prices


def format_amount(amount: Decimal) -> str:
    """``128`` for whole amounts, ``99.90`` otherwise; thousands separated."""
    amount = Decimal(amount)
    if amount == amount.to_integral_value():
        return f"{int(amount):,}"
    return f"{amount.quantize(Decimal('0.01')):,}"


def currency_sign(currency: str) -> str:
    return CURRENCY_SIGNS.get(currency.upper(), currency.upper() + " ")


def _price_widths(content: MasterContent, size: int) -> tuple[float, float, float, float]:
    sign = currency_sign(content.currency)
    sign_w = fonts.measure(sign, "bold", max(1, round(size * 0.55)))
    amount_w = fonts.measure(format_amount(content.price), "bold", size)
    old_w = 0.0
    gap = 0.0
    if content.original_price is not None:
        old_size = max(1, round(size * 0.4))
        old_w = fonts.measure(sign + format_amount(content.original_price), "regular", old_size)
        gap = size * 0.3
    return sign_w, amount_w, gap, old_w


def _draw_price(image: Image.Image, content: MasterContent, x: int, top: int, size: int,
                box: Box, brand) -> TextBlock:
    draw = ImageDraw.Draw(image)
    sign = currency_sign(content.currency)
    sign_size = max(1, round(size * 0.55))
    baseline = top + fonts.EM_ASCENT * size
    sign_w, amount_w, gap, old_w = _price_widths(content, size)
    amount = format_amount(content.price)
    fonts.draw_line(image, x, baseline, sign, "bold", sign_size, brand)
    fonts.draw_line(image, x + sign_w + size * 0.04, baseline, amount, "bold", size, brand)
    inks = [fonts.ink_box(sign, "bold", sign_size, x, baseline),
            fonts.ink_box(amount, "bold", size, x + sign_w + size * 0.04, baseline)]
    lines = [sign + amount]
    if content.original_price is not None:
        old_size = max(1, round(size * 0.4))
        old = sign + format_amount(content.original_price)
        old_x = x + sign_w + size * 0.04 + amount_w + gap
        fonts.draw_line(image, old_x, baseline, old, "regular", old_size, FAINT)
        strike_y = round(baseline - old_size * 0.33)
        thickness = max(2, round(old_size * 0.07))
        draw.rectangle((round(old_x) - 2, strike_y - thickness // 2, round(old_x + old_w) + 2,
                        strike_y - thickness // 2 + thickness - 1), fill=FAINT)
        inks.append(fonts.ink_box(old, "regular", old_size, old_x, baseline))
        lines.append(old)
    ink = (min(b[0] for b in inks), min(b[1] for b in inks), max(b[2] for b in inks), max(b[3] for b in inks))
    return TextBlock("price", box, ink, size, tuple(lines))


# ---------------------------------------------------------------- the base image


def render_base(content: MasterContent, photo: Image.Image | None, width: int, height: int,
                role: str = "feed", logo: Image.Image | None = None) -> RenderResult:
    """Draw the product card for one size: photo, brand, title, body, price.

    ``role`` is ``feed`` (a plain card), ``cover``, ``story`` (text kept out
    of the bottom band that story players cover) or ``poster`` (leaves an
    empty footer slot for ``render_poster``). The photo is cover-cropped,
    centred, never stretched; text is wrapped with kinsoku rules and shrunk
    to fit its box, truncated with an ellipsis only at the minimum size.

    :raise ValueError: for a non-positive size or an unknown role.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"size must be positive, got {width}x{height}")
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    notes: list[str] = []
    brand = _brand_rgb(content.brand_color, notes)
    geo = _geometry(width, height, role)
    s = geo.scale
    image = Image.new("RGB", (width, height), PAPER)

    upscale = 1.0
    px0, py0, px1, py1 = geo.photo
    if photo is not None and px1 > px0 and py1 > py0:
        fitted, factor = cover(photo, px1 - px0, py1 - py0)
        if fitted.mode == "RGBA":
            backdrop = Image.new("RGBA", fitted.size, _tint(brand, 0.06) + (255,))
            fitted = Image.alpha_composite(backdrop, fitted).convert("RGB")
        image.paste(fitted, (px0, py0))
        if factor > 1.0:
            upscale = factor
            notes.append("image_upscaled")
    else:
        notes.append("no_photo")
        ImageDraw.Draw(image).rectangle((px0, py0, px1 - 1, py1 - 1), fill=_tint(brand, 0.1))
    draw = ImageDraw.Draw(image)
    if geo.accent:
        draw.rectangle((geo.accent[0], geo.accent[1], geo.accent[2] - 1, geo.accent[3] - 1), fill=brand)
    if geo.footer:
        fx0, fy0, fx1, fy1 = geo.footer
        draw.rectangle((fx0, fy0, fx1 - 1, fy1 - 1), fill=FOOTER)
        draw.rectangle((fx0, fy0, fx1 - 1, fy0 + max(1, round(2 * s)) - 1), fill=HAIRLINE)

    blocks = _lay_out_text(image, content, geo, brand, logo, role, notes)
    seen: list[str] = []
    for note in notes:
        if note not in seen:
            seen.append(note)
    return RenderResult(image, tuple(seen), tuple(blocks), geo.photo, geo.qr_slot, upscale)


def _lay_out_text(image: Image.Image, content: MasterContent, geo: _Geometry, brand, logo,
                  role: str, notes: list[str]) -> list[TextBlock]:
    s = geo.scale
    tx0, ty0, tx1, ty1 = geo.text
    text_w, text_h = tx1 - tx0, ty1 - ty0
    compact = text_h < 300 * s or role == "cover"

    brand_size = max(16, round(30 * s))
    has_brand = bool(content.brand_name.strip()) or logo is not None
    brand_h = _line_height(brand_size, 1.3) if has_brand else 0
    gap = round(22 * s)

    price_size = round((84 if geo.stacked else 92) * s)
    while price_size > 12 and sum(_price_widths(content, price_size)) + price_size * 0.04 > text_w:
        price_size -= 1
    price_h = math.ceil(price_size * (fonts.EM_ASCENT + 0.28))

    tall = geo.stacked and image.height / image.width >= 1.6
    title_max = round((80 if tall else 70 if geo.stacked else 74) * s)
    title_min = max(14, round(title_max * 0.55))
    title_lines = 3 if geo.stacked or role == "cover" else 5
    if tall:
        title_lines = 4
    title_room = text_h - brand_h - price_h - gap * (2 if has_brand else 1)
    title = fit_text(content.title.strip(), "bold", text_w, max(1, title_room), title_max, title_min, title_lines, 1.22,
                     balance=True)
    if title.shrunk:
        notes.append("text_shrunk")
    if title.truncated:
        notes.append("text_truncated")

    body = None
    body_text = content.body.strip().split("\n")[0].strip() if content.body else ""
    room = title_room - title.height - gap
    if body_text and not compact:
        body_size = round(32 * s)
        body_lh = _line_height(body_size, 1.5)
        if room >= body_lh:
            body = fit_text(body_text, "regular", text_w, room, body_size, round(body_size * 0.85),
                            min(3 if tall else 2, room // body_lh), 1.5)
            if body.truncated:
                notes.append("body_truncated")

    stack = brand_h + (gap if has_brand else 0) + title.height + gap + price_h
    if body:
        stack += body.height + round(gap * 0.6)
    y = ty0 + max(0, (text_h - stack) // 2)
    blocks: list[TextBlock] = []
    if has_brand:
        blocks.append(_draw_brand(image, content, logo, tx0, y, text_w, brand_size, brand_h, brand))
        y += brand_h + gap
    blocks.append(_draw_block(image, "title", title, "bold", tx0, y, (tx0, y, tx1, y + title.height), INK))
    y += title.height
    if body:
        y += round(gap * 0.6)
        blocks.append(_draw_block(image, "body", body, "regular", tx0, y, (tx0, y, tx1, y + body.height), MUTED))
        y += body.height
    y += gap
    blocks.append(_draw_price(image, content, tx0, y, price_size, (tx0, y, tx1, y + price_h), brand))
    return blocks


def _draw_brand(image: Image.Image, content: MasterContent, logo, x: int, y: int, width: int,
                size: int, row_h: int, brand) -> TextBlock:
    cursor = x
    inks: list[Box] = []
    if logo is not None:
        mark = logo.convert("RGBA")
        mark_h = row_h
        mark_w = max(1, round(mark.width * mark_h / mark.height))
        if mark_w > width // 2:
            mark_w = width // 2
            mark_h = max(1, round(mark.height * mark_w / mark.width))
        mark = mark.resize((mark_w, mark_h), Image.Resampling.LANCZOS)
        top = y + (row_h - mark_h) // 2
        image.paste(mark, (cursor, top), mark)
        inks.append((cursor, top, cursor + mark_w, top + mark_h))
        cursor += mark_w + round(size * 0.5)
    name = content.brand_name.strip()
    lines: tuple[str, ...] = ()
    if name:
        room = x + width - cursor
        fitted = fit_text(name, "bold", room, row_h, size, max(10, round(size * 0.7)), 1, 1.3)
        block = _draw_block(image, "brand", fitted, "bold", cursor, y, (cursor, y, x + width, y + row_h), brand)
        inks.append(block.ink)
        lines = block.lines
    ink = (min(b[0] for b in inks), min(b[1] for b in inks), max(b[2] for b in inks), max(b[3] for b in inks))
    return TextBlock("brand", (x, y, x + width, y + row_h), ink, size, lines)


# ---------------------------------------------------------------- posters


def qr_image(target: str, module_px: int, border: int = 4) -> Image.Image:
    """A crisp black-on-white QR code for ``target`` with a quiet zone (mode L)."""
    qr = segno.make(target, error="m")
    matrix = qr.matrix
    n = len(matrix)
    side = n + 2 * border
    row_pad = b"\xff" * border
    data = bytearray(b"\xff" * side * border)
    for row in matrix:
        data += row_pad + bytes(0 if v else 255 for v in row) + row_pad
    data += b"\xff" * side * border
    small = Image.frombytes("L", (side, side), bytes(data))
    return small.resize((side * module_px, side * module_px), Image.Resampling.NEAREST)


def _qr_modules(target: str) -> int:
    return len(segno.make(target, error="m").matrix) + 8


def render_poster(base: Image.Image, voice: SharerVoice, call_to_action: str, *,
                  accent: str | None = None, language: str = "zh-CN", slot: Box | None = None) -> Image.Image:
    """A sharer's poster: a copy of ``base`` with their QR code, name and CTA.

    ``base`` should come from ``render_base(..., role="poster")`` at the same
    size, which leaves ``slot`` (default ``poster_slot(width, height)``) empty.
    The QR code points at ``voice.qr_target``, has a four-module quiet zone
    and whole-pixel modules. ``base`` itself is never modified.

    :raise ValueError: if the QR code cannot fit the slot at 3 px a module.
    """
    width, height = base.size
    x0, y0, x1, y1 = slot or poster_slot(width, height)
    slot_h = y1 - y0
    poster = base.copy()
    s = min(width / 1080, slot_h / 300) if width < height * 1.2 else slot_h / 300

    pad = round(slot_h * 0.085)
    margin = round(72 * (width / 1080)) if width < height * 1.2 else round(slot_h * 0.2)
    qr_room = slot_h - 2 * pad
    modules = _qr_modules(voice.qr_target)
    module_px = qr_room // modules
    if module_px < 3:
        raise ValueError(f"QR code of {modules} modules does not fit a {qr_room}px slot")
    code = qr_image(voice.qr_target, module_px)
    qr_x = x1 - margin - code.width
    qr_y = y0 + (slot_h - code.height) // 2
    poster.paste(code, (qr_x, qr_y))

    accent_rgb = INK
    if accent:
        accent_rgb = _brand_rgb(accent, [])
    chinese = language.lower().startswith("zh")
    label = f"{voice.name} 为你推荐" if chinese else f"Shared by {voice.name}"
    code_line = (f"口令：{voice.code}" if chinese else f"Code: {voice.code}") if voice.code else ""

    tx = x0 + margin
    text_w = qr_x - round(40 * s) - tx
    name_fit = fit_text(label, "bold", text_w, round(60 * s), round(44 * s), round(26 * s), 1, 1.25)
    cta_fit = _cta_fit(call_to_action.strip(), text_w, round(31 * s))
    code_fit = fit_text(code_line, "bold", text_w, round(48 * s), round(30 * s), round(20 * s), 1, 1.3) if code_line else None
    gap = round(14 * s)
    stack = name_fit.height + (gap + cta_fit.height if cta_fit.lines else 0) + (gap + code_fit.height if code_fit else 0)
    y = y0 + max(0, (slot_h - stack) // 2)
    _draw_block(poster, "name", name_fit, "bold", tx, y, (tx, y, tx + text_w, y + name_fit.height), INK)
    y += name_fit.height + gap
    if cta_fit.lines:
        _draw_block(poster, "cta", cta_fit, "regular", tx, y, (tx, y, tx + text_w, y + cta_fit.height), MUTED)
        y += cta_fit.height + gap
    if code_fit:
        _draw_block(poster, "code", code_fit, "bold", tx, y, (tx, y, tx + text_w, y + code_fit.height), accent_rgb)
    return poster


@lru_cache(maxsize=256)
def _cta_fit(text: str, width: int, size: int) -> _Fitted:
    """The call to action is the same on every sharer's poster: fit it once."""
    if not text:
        return _Fitted(size, [], _line_height(size, 1.35))
    return fit_text(text, "regular", width, _line_height(size, 1.35) * 2, size, max(12, round(size * 0.75)), 2, 1.35)


# ---------------------------------------------------------------- encoding


def encode_png(image: Image.Image) -> bytes:
    """PNG bytes that depend only on the pixels: no timestamps, no metadata."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=6, optimize=False, icc_profile=None, pnginfo=None)
    return buffer.getvalue()


def encode_jpeg(image: Image.Image, quality: int = 88) -> bytes:
    """Baseline JPEG bytes without EXIF or ICC data, deterministic for equal pixels."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality, optimize=True, subsampling="4:2:0",
                              exif=b"", icc_profile=None)
    return buffer.getvalue()
