"""The product card: photo, brand, title, body and price laid out for one size.

:func:`render_base` is the expensive render, done once per content version
and size; a sharer's poster is a copy of a ``poster`` card with a QR code
pasted into the slot it leaves empty (:mod:`publishing.poster`). Pure: plain
values and images in, an image and notes out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image, ImageColor, ImageDraw

from channels.content import MasterContent
from publishing.render import fonts
from publishing.render.looks import Look, get_look
from publishing.render.palette import FOOTER, HAIRLINE, INK, MUTED, PAPER, brand_rgb, tint
from publishing.render.photo import Focus, contain, cover, kept_interest
from publishing.render.pricetag import draw_price, price_widths
from publishing.render.textfit import Box, TextBlock, draw_block, fit_text, line_height

ROLES = ("feed", "poster", "cover", "story")


@dataclass(frozen=True)
class RenderResult:
    """A rendered base image, how it was laid out, and what went less than well.

    ``warnings`` holds codes: ``image_upscaled``, ``no_photo``, ``photo_contained``,
    ``text_shrunk``, ``text_truncated``, ``body_truncated``,
    ``brand_color_adjusted``, ``brand_color_invalid``.
    """

    image: Image.Image
    warnings: tuple[str, ...] = ()
    blocks: tuple[TextBlock, ...] = ()
    photo_box: Box | None = None
    slots: PosterSlots | None = None
    upscale: float = 1.0


@dataclass(frozen=True)
class PosterSlots:
    """Where ``render_poster`` draws on a poster card: the QR tile (quiet zone
    included) with the scan hint under it, and the sharer's line."""

    qr: Box
    hint: Box
    note: Box


@dataclass(frozen=True)
class _Geometry:
    scale: float
    photo: Box
    text: Box
    accent: Box | None
    footer: Box | None
    slots: PosterSlots | None
    stacked: bool


# The QR tile's side (quiet zone included) as a share of the short side: the
# code's modules then span about 24% of it, which still decodes when a phone
# timeline shows the picture a third of its size (tests/test_poster_scan.py).
QR_TILE = 0.30
# What a story player (Douyin, Instagram stories) lays over a tall poster: the bottom share of
# its height (caption, music line, the tab bar) and the right share of its width (the buttons).
# Measured on screenshots of the players at 375 px; unconfirmed by the platforms.
STORY_COVERED = (0.22, 0.15)


def _geometry(width: int, height: int, role: str) -> _Geometry:
    aspect = width / height
    if role == "poster":
        return _poster_geometry(width, height)
    if aspect <= 1.2:  # square, portrait, story: photo above, text below
        s = width / 1080
        margin = round(72 * s)
        tall = height / width >= 1.6
        safe_bottom = round(0.11 * height) if tall else 0
        panel_h = round(width * (0.41 if aspect >= 0.95 else 0.45 if not tall else 0.52))
        photo_bottom = height - safe_bottom - panel_h
        pad = round(44 * s)
        accent_h = max(4, round(8 * s))
        text = (margin, photo_bottom + accent_h + pad, width - margin, photo_bottom + panel_h - pad)
        return _Geometry(s, (0, 0, width, photo_bottom), text, (0, photo_bottom, width, photo_bottom + accent_h),
                         None, None, True)
    # landscape and covers: text on the left, photo on the right
    s = _landscape_scale(width, height)
    text_w = round(width * (0.5 if aspect < 2 else 0.52))
    margin = round(76 * s)
    accent_w = max(4, round(8 * s))
    text = (margin, margin, text_w - margin, height - margin)
    return _Geometry(s, (text_w + accent_w, 0, width, height), text, (text_w, 0, text_w + accent_w, height),
                     None, None, False)


def _landscape_scale(width: int, height: int) -> float:
    if width / height >= 2:  # banner covers are shown small: type set larger for their size
        return height / 640
    return math.sqrt((height / 900) * (width / 1600))


def _poster_geometry(width: int, height: int) -> _Geometry:
    """A poster: the photo, then a band with the words on the left and the QR tile on the right
    (portrait and square), or the words above a QR row beside the photo (landscape).

    The tile is :data:`QR_TILE` of the short side whatever the size, so the code
    is as large on a square Weibo picture as on a Moments poster.
    """
    tile = round(QR_TILE * min(width, height))
    if width / height <= 1.2:
        s = width / 1080
        margin = round(72 * s)
        tall = height / width >= 1.6
        # Story players cover a 9:16 picture: Douyin's caption and the bar under it take the
        # bottom fifth, its like/comment/share column the right seventh from mid-height down
        # (STORY_COVERED). The band, and so the code and the sharer's line, sit clear of both.
        safe_bottom = round(STORY_COVERED[0] * height) if tall else 0
        safe_right = round(STORY_COVERED[1] * width) if tall else 0
        band_h = round(height * (0.42 if width / height >= 0.95 else 0.36 if not tall else 0.29))
        band_top = height - safe_bottom - band_h
        accent_h = max(4, round(8 * s))
        pad = round(40 * s)
        hint_h = round(44 * s)
        qr_x1 = width - max(round(56 * s), safe_right)
        qr_y0 = band_top + accent_h + max(pad // 2, (band_h - accent_h - tile - hint_h) // 2)
        qr = (qr_x1 - tile, qr_y0, qr_x1, qr_y0 + tile)
        hint = (qr[0], qr[3], qr[2], qr[3] + hint_h)
        column = qr[0] - round(40 * s)
        note_h = round(104 * s)
        bottom = band_top + band_h - pad
        note = (margin, bottom - note_h, column, bottom)
        text = (margin, band_top + accent_h + pad, column, note[1] - round(16 * s))
        footer = (0, height - safe_bottom, width, height) if safe_bottom else None
        return _Geometry(s, (0, 0, width, band_top), text, (0, band_top, width, band_top + accent_h), footer,
                         PosterSlots(qr, hint, note), True)
    s = _landscape_scale(width, height)
    text_w = round(width * (0.5 if width / height < 2 else 0.52))
    margin = round(76 * s)
    accent_w = max(4, round(8 * s))
    pad = round(20 * s)
    hint_h = round(40 * s)
    row_h = tile + hint_h + 2 * pad
    row_top = height - row_h
    qr_x1 = text_w - round(40 * s)
    qr = (qr_x1 - tile, row_top + pad, qr_x1, row_top + pad + tile)
    hint = (qr[0], qr[3], qr[2], qr[3] + hint_h)
    note = (margin, row_top + pad, qr[0] - round(32 * s), height - pad)
    text = (margin, round(56 * s), text_w - margin, row_top - round(16 * s))
    return _Geometry(s, (text_w + accent_w, 0, width, height), text, (text_w, 0, text_w + accent_w, height),
                     (0, row_top, text_w, height), PosterSlots(qr, hint, note), False)


def poster_slots(width: int, height: int) -> PosterSlots:
    """Where ``render_poster`` puts the QR code, its hint and the sharer line for a size."""
    return _poster_geometry(width, height).slots  # type: ignore[return-value]


def render_base(content: MasterContent, photo: Image.Image | None, width: int, height: int,
                role: str = "feed", logo: Image.Image | None = None, focus: Focus | None = None) -> RenderResult:
    """Draw the product card for one size: photo, brand, title, body, price.

    ``role`` is ``feed`` (a plain card), ``cover``, ``story`` (text kept out
    of the bottom band that story players cover) or ``poster`` (leaves an
    empty QR tile and sharer line for ``render_poster``). The photo is
    cropped around ``focus`` or its most detailed part, or shown whole on
    its own backdrop when a crop would lose the product; never stretched; text is wrapped with kinsoku rules and shrunk
    to fit its box, truncated with an ellipsis only at the minimum size.

    :raise ValueError: for a non-positive size or an unknown role.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"size must be positive, got {width}x{height}")
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    notes: list[str] = []
    look = get_look(content.look)
    brand = brand_rgb(look.accent or content.brand_color, notes)
    geo = _geometry(width, height, role)
    s = geo.scale
    image = Image.new("RGB", (width, height), PAPER)

    upscale = 1.0
    px0, py0, px1, py1 = geo.photo
    grid = len(content.products) >= 2 and role in GRID_ROLES and px1 > px0 and py1 > py0
    tiles: list[TextBlock] = []
    if grid:
        tiles = _draw_grid(image, content, geo.photo, brand, s, photo, focus)
    elif photo is not None and px1 > px0 and py1 > py0:
        fitted, factor = _frame(photo, px1 - px0, py1 - py0, focus, notes)
        if fitted.mode == "RGBA":
            backdrop = Image.new("RGBA", fitted.size, tint(brand, 0.06) + (255,))
            fitted = Image.alpha_composite(backdrop, fitted).convert("RGB")
        image.paste(fitted, (px0, py0))
        if factor > 1.0:
            upscale = factor
            notes.append("image_upscaled")
    else:
        notes.append("no_photo")
        ImageDraw.Draw(image).rectangle((px0, py0, px1 - 1, py1 - 1), fill=tint(brand, 0.1))
    draw = ImageDraw.Draw(image)
    if geo.accent:
        rule = ImageColor.getrgb(look.rule_color) if look.rule_color else brand
        draw.rectangle((geo.accent[0], geo.accent[1], geo.accent[2] - 1, geo.accent[3] - 1), fill=rule)
    if content.badges and px1 > px0 and not grid:
        _draw_badges(image, content.badges, look, geo.photo, s)
    if geo.footer:
        fx0, fy0, fx1, fy1 = geo.footer
        draw.rectangle((fx0, fy0, fx1 - 1, fy1 - 1), fill=FOOTER)
        draw.rectangle((fx0, fy0, fx1 - 1, fy0 + max(1, round(2 * s)) - 1), fill=HAIRLINE)

    blocks = tiles + _lay_out_text(image, content, geo, brand, logo, role, notes, look)
    seen: list[str] = []
    for note in notes:
        if note not in seen:
            seen.append(note)
    return RenderResult(image, tuple(seen), tuple(blocks), geo.photo, geo.slots, upscale)


# A campaign of several products shows them as a grid on these roles (a timeline
# card, a poster); covers and story frames are too thin or too quick: the hero only.
GRID_ROLES = ("feed", "poster")
GRID_MAX = 4  # tiles drawn; more products are counted in the last tile's "+N"


def grid_cells(count: int, box: Box, gap: int) -> list[Box]:
    """The tiles of a product grid inside ``box``: two a row (three in a row for three products
    on a wide box), at most :data:`GRID_MAX`."""
    x0, y0, x1, y1 = box
    shown = min(count, GRID_MAX)
    columns = 3 if shown == 3 and (x1 - x0) > 1.6 * (y1 - y0) else min(2, shown)
    rows = math.ceil(shown / columns)
    cell_w = (x1 - x0 - gap * (columns + 1)) / columns
    cell_h = (y1 - y0 - gap * (rows + 1)) / rows
    cells = []
    for i in range(shown):
        r, c = divmod(i, columns)
        left = x0 + gap + c * (cell_w + gap)
        if r == rows - 1 and shown % columns:  # a short last row is centred
            left += (columns - shown % columns) * (cell_w + gap) / 2
        top = y0 + gap + r * (cell_h + gap)
        cells.append((round(left), round(top), round(left + cell_w), round(top + cell_h)))
    return cells


def _draw_grid(image: Image.Image, content: MasterContent, box: Box, brand, s: float,
               photo: Image.Image | None, focus: Focus | None) -> list[TextBlock]:
    """The products of a campaign as tiles over the photo area: each its name and the brand's price.

    The hero's photo (the campaign's) sits in the first tile's upper part when there is one.
    Returns the ``product`` (name) and ``price`` blocks, tile by tile.
    """
    blocks: list[TextBlock] = []
    x0, y0, x1, y1 = box
    ImageDraw.Draw(image).rectangle((x0, y0, x1 - 1, y1 - 1), fill=tint(brand, 0.08))
    gap = max(6, round(28 * s))
    extra = len(content.products) - GRID_MAX
    for i, (cell, product) in enumerate(zip(grid_cells(len(content.products), box, gap), content.products)):
        cx0, cy0, cx1, cy1 = cell
        draw = ImageDraw.Draw(image)
        draw.rounded_rectangle((cx0, cy0, cx1 - 1, cy1 - 1), radius=max(4, round(18 * s)), fill=PAPER)
        pad = max(6, round(24 * s))
        text_top = cy0 + pad
        if i == 0 and photo is not None and cy1 - cy0 > 6 * pad:
            shot_h = round((cy1 - cy0) * 0.5)
            fitted, _ = cover(photo, cx1 - cx0 - 2 * pad, shot_h, focus)
            image.paste(fitted.convert("RGB"), (cx0 + pad, cy0 + pad))
            text_top = cy0 + pad + shot_h + round(pad * 0.6)
        tile = MasterContent(title=product.name, body="", price=product.price, currency=content.currency,
                             original_price=product.original_price)
        price_size = max(12, round(44 * s))
        text_w = cx1 - cx0 - 2 * pad
        while price_size > 12 and sum(price_widths(tile, price_size)) > text_w:
            price_size -= 1
        price_h = math.ceil(price_size * (fonts.EM_ASCENT + 0.28))
        name_room = max(1, cy1 - pad - price_h - round(pad * 0.5) - text_top)
        name_size = max(14, round(38 * s))
        name = fit_text(product.name.strip(), "bold", text_w, name_room, name_size, max(12, round(name_size * 0.6)),
                        3, 1.22)
        blocks.append(draw_block(image, "product", name, "bold", cx0 + pad, text_top,
                                 (cx0 + pad, text_top, cx1 - pad, text_top + name.height), INK))
        blocks.append(draw_price(image, tile, cx0 + pad, cy1 - pad - price_h, price_size, (cx0 + pad, cy1 - pad - price_h,
                   cx1 - pad, cy1 - pad), brand))
        if i == GRID_MAX - 1 and extra > 0:
            more = f"+{extra}"
            size = max(12, round(36 * s))
            width = round(fonts.measure(more, "bold", size)) + 2 * pad
            draw.rounded_rectangle((cx1 - width - pad // 2, cy0 + pad // 2, cx1 - pad // 2, cy0 + pad // 2
                                    + line_height(size, 1.0) + pad), radius=pad, fill=brand)
            fonts.draw_line(image, cx1 - width - pad // 2 + pad, cy0 + pad // 2 + pad // 2 + fonts.EM_ASCENT * size,
                            more, "bold", size, PAPER)
    return blocks


# Below this share of the photo's interest kept by a crop, the whole photo is shown instead.
_MIN_KEPT = 0.8


def _frame(photo: Image.Image, width: int, height: int, focus: Focus | None, notes: list[str]):
    if focus is None and kept_interest(photo, width, height) < _MIN_KEPT:
        notes.append("photo_contained")
        return contain(photo, width, height)
    return cover(photo, width, height, focus)


def _lay_out_text(image: Image.Image, content: MasterContent, geo: _Geometry, brand, logo,
                  role: str, notes: list[str], look: Look) -> list[TextBlock]:
    s = geo.scale
    tx0, ty0, tx1, ty1 = geo.text
    text_w, text_h = tx1 - tx0, ty1 - ty0
    compact = text_h < 300 * s or role == "cover"

    brand_size = max(16, round(30 * s))
    has_brand = bool(content.brand_name.strip()) or logo is not None
    brand_h = line_height(brand_size, 1.3) if has_brand else 0
    gap = round(22 * s)

    price_size = round((84 if geo.stacked else 92) * s * look.price_scale)
    band_pad = (lambda size: round(size * 0.22)) if look.price_band else (lambda size: 0)
    while price_size > 12 and sum(price_widths(content, price_size)) + price_size * 0.04 + 2 * band_pad(price_size) > text_w:
        price_size -= 1

    def price_height(size: int) -> int:
        return math.ceil(size * (fonts.EM_ASCENT + 0.28)) + 2 * round(band_pad(size) * 0.45)

    tall = geo.stacked and image.height / image.width >= 1.6
    title_max = round((80 if tall else 70 if geo.stacked else 74) * s)
    title_min = max(14, round(title_max * 0.55))
    # A short panel (a square poster's band) keeps room for one line of title:
    # the price gives up to a third of its size, then the brand line goes.
    one_line = line_height(title_min, 1.22) + math.ceil(title_min * 0.1)
    floor = round(price_size * 0.67)
    while price_size > floor and text_h - brand_h - price_height(price_size) - gap * (2 if has_brand else 1) < one_line:
        price_size -= 1
    if has_brand and text_h - brand_h - price_height(price_size) - gap * 2 < one_line:
        has_brand, brand_h = False, 0
    price_h = price_height(price_size)
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
        body_lh = line_height(body_size, 1.5)
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
    blocks.append(draw_block(image, "title", title, "bold", tx0, y, (tx0, y, tx1, y + title.height), INK))
    y += title.height
    if body:
        y += round(gap * 0.6)
        blocks.append(draw_block(image, "body", body, "regular", tx0, y, (tx0, y, tx1, y + body.height), MUTED))
        y += body.height
    y += gap
    if look.price_band:  # white price on a block of the brand colour
        pad = band_pad(price_size)
        width = round(sum(price_widths(content, price_size)) + price_size * 0.04) + 2 * pad
        ImageDraw.Draw(image).rounded_rectangle((tx0, y, tx0 + width - 1, y + price_h - 1), radius=round(pad * 0.6),
                                                fill=brand)
        blocks.append(draw_price(image, content, tx0 + pad, y + round(pad * 0.45), price_size,
                                 (tx0, y, tx1, y + price_h), PAPER, old_fill=tint(brand, 0.35)))
    else:
        blocks.append(draw_price(image, content, tx0, y, price_size, (tx0, y, tx1, y + price_h), brand))
    return blocks


def _draw_badges(image: Image.Image, badges: tuple[str, ...], look: Look, photo: Box, s: float) -> None:
    """Pills such as 包邮 · 赠品 in the photo's top-left corner; a badge that would leave the photo is left out."""
    size = max(14, round(34 * s))
    pad_x, pad_y = round(size * 0.55), round(size * 0.32)
    x, y = photo[0] + round(36 * s), photo[1] + round(36 * s)
    draw = ImageDraw.Draw(image)
    fill, ink = ImageColor.getrgb(look.badge_fill), ImageColor.getrgb(look.badge_ink)
    for badge in badges:
        text = badge.strip()
        width = round(fonts.measure(text, "bold", size)) + 2 * pad_x
        height = line_height(size, 1.0) + 2 * pad_y
        if x + width > photo[2] - round(36 * s) or y + height > photo[3]:
            break
        draw.rounded_rectangle((x, y, x + width - 1, y + height - 1), radius=height // 2, fill=fill)
        fonts.draw_line(image, x + pad_x, y + pad_y + fonts.EM_ASCENT * size, text, "bold", size, ink)
        x += width + round(14 * s)


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
        block = draw_block(image, "brand", fitted, "bold", cursor, y, (cursor, y, x + width, y + row_h), brand)
        inks.append(block.ink)
        lines = block.lines
    ink = (min(b[0] for b in inks), min(b[1] for b in inks), max(b[2] for b in inks), max(b[3] for b in inks))
    return TextBlock("brand", (x, y, x + width, y + row_h), ink, size, lines)
