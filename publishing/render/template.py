"""A brand's own poster template: a background and a few boxes on a canvas, one layout per aspect; pure.

A layout is plain data (what :class:`publishing.template_schemas.LayoutIn` loads): boxes in
fractions of the canvas, font sizes in pixels of a canvas whose short side is 1080 (scaled
with the poster), colours as ``#RRGGBB``. :func:`layout_problems` says, box by box, why a
layout cannot be drawn at one of the sizes it serves without clipping text, shrinking the QR
code below :data:`publishing.render.card.QR_TILE` of the short side or covering it; a layout
with no problem is drawn by :func:`render_template_base`, whose empty QR tile and sharer box
:func:`publishing.render.poster.render_poster` fills as on the designed looks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from PIL import Image, ImageColor, ImageDraw

from channels.content import MasterContent
from publishing.render import fonts
from publishing.render.card import QR_TILE, STORY_COVERED, PosterSlots, RenderResult
from publishing.render.photo import Focus, cover
from publishing.render.pricetag import draw_price, price_widths
from publishing.render.textfit import Box, block_height, draw_block, fit_text, line_height

# Which layout a poster size takes, by height / width: up to 0.8 landscape (X, email, LinkedIn),
# to 1.15 square (Weibo, Telegram), to 1.6 portrait (Moments, Xiaohongshu), then story (Douyin).
ASPECTS = ("landscape", "square", "portrait", "story")
_ASPECT_LIMITS = (0.8, 1.15, 1.6)
BOXES = ("photo", "title", "price", "qr", "seller")
TEXT_BOXES = ("title", "price")
REFERENCE_SIDE = 1080  # font sizes are pixels of a canvas whose short side is this
QR_HINT_SHARE = 0.15  # the scan hint's line under the code, as a share of the tile's side
# The sharer line holds a display name of this many characters (and "为你推荐") at its smallest size:
# WeChat's own nicknames are at most 16.
SELLER_NAME_CHARS = 16
# With no campaign using the template yet, the title box must hold a title this long.
REFERENCE_TITLE = "明前狮峰龙井 · 2026 春茶首发，一芽一叶手工炒制"
REFERENCE_PRICE = MasterContent(title="", body="", price=Decimal("9999.99"), original_price=Decimal("19999.99"))
TITLE_LEADING = 1.22


def aspect_of(width: int, height: int) -> str:
    """The aspect a ``width`` × ``height`` poster takes its layout from."""
    ratio = height / width
    for name, limit in zip(ASPECTS, _ASPECT_LIMITS):
        if ratio < limit:
            return name
    return ASPECTS[-1]


@dataclass(frozen=True)
class Placed:
    """A layout at one pixel size: each box in pixels and the font sizes scaled to it."""

    width: int
    height: int
    scale: float
    boxes: dict[str, Box]
    slots: PosterSlots


def place(layout: dict, width: int, height: int) -> Placed:
    """``layout``'s boxes at ``width`` × ``height`` pixels, with the QR tile (the largest square at
    the top of the ``qr`` box that leaves its hint a line under it) and the sharer box as poster slots."""
    boxes = {}
    for name, box in layout["boxes"].items():
        x0, y0 = round(box["x"] * width), round(box["y"] * height)
        boxes[name] = (x0, y0, x0 + round(box["w"] * width), y0 + round(box["h"] * height))
    qx0, qy0, qx1, qy1 = boxes["qr"]
    tile = min(qx1 - qx0, math.floor((qy1 - qy0) / (1 + QR_HINT_SHARE)))
    left = qx0 + (qx1 - qx0 - tile) // 2
    qr = (left, qy0, left + tile, qy0 + tile)
    hint = (left, qr[3], left + tile, min(qy1, qr[3] + math.ceil(tile * QR_HINT_SHARE)))
    return Placed(width, height, min(width, height) / REFERENCE_SIDE, boxes, PosterSlots(qr, hint, boxes["seller"]))


def seller_ink(layout: dict) -> tuple[int, int, int] | None:
    """The colour the layout gives the sharer's name and code, if it gives one."""
    colour = layout["boxes"]["seller"].get("color")
    return ImageColor.getrgb(colour) if colour else None


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def layout_problems(layout: dict, sizes: list[tuple[int, int]], contents: list[MasterContent]) -> dict[str, str]:
    """Why ``layout`` cannot be drawn at each of ``sizes`` with each of ``contents``, by box name
    (empty: it can). Checks, at every size: the QR tile at least :data:`QR_TILE` of the short side and
    overlapping no other box; on a story size, the code and the sharer clear of the player's overlay;
    the title and the price fitting their boxes at the smallest allowed size with every content; the
    sharer box holding a :data:`SELLER_NAME_CHARS`-character name and the sharer's code."""
    problems: dict[str, str] = {}
    for width, height in sizes:
        placed = place(layout, width, height)
        short = min(width, height)
        qr = placed.slots.qr
        tile = qr[2] - qr[0]
        if tile < QR_TILE * short:
            problems.setdefault("qr", f"at {width}x{height} the code would be {tile}px, under "
                                      f"{QR_TILE:.0%} of the short side ({math.ceil(QR_TILE * short)}px): "
                                      f"make the box larger")
        for name, box in placed.boxes.items():
            if name != "qr" and _overlap(box, placed.boxes["qr"]):
                problems.setdefault("qr", f"the {name} box overlaps the code")
        if aspect_of(width, height) == "story":
            safe_bottom, safe_right = height * (1 - STORY_COVERED[0]), width * (1 - STORY_COVERED[1])
            for name in ("qr", "seller"):
                box = placed.boxes.get(name)
                if box and (box[3] > safe_bottom or box[2] > safe_right):
                    problems.setdefault(name, "a story player covers the bottom "
                                              f"{STORY_COVERED[0]:.0%} and the right {STORY_COVERED[1]:.0%}: "
                                              "move the box clear of them")
        for content in contents:
            for name in TEXT_BOXES:
                if name in problems:
                    continue
                why = _text_problem(name, layout["boxes"][name], placed, content)
                if why:
                    problems[name] = f"at {width}x{height} {why}"
        if "seller" not in problems:
            why = _seller_problem(placed)
            if why:
                problems["seller"] = f"at {width}x{height} {why}"
    return problems


def _sizes(spec: dict, scale: float) -> tuple[int, int]:
    return max(1, round(spec["font_max"] * scale)), max(1, round(spec["font_min"] * scale))


def _text_problem(name: str, spec: dict, placed: Placed, content: MasterContent) -> str | None:
    x0, y0, x1, y1 = placed.boxes[name]
    largest, smallest = _sizes(spec, placed.scale)
    if name == "title":
        fitted = fit_text(content.title.strip(), "bold", x1 - x0, y1 - y0, largest, smallest, 99, TITLE_LEADING)
        if fitted.truncated:
            return (f"the title ({len(content.title.strip())} characters) does not fit at "
                    f"{spec['font_min']}px: make the box larger or the smallest size smaller")
        return None
    if _price_size(content, x1 - x0, y1 - y0, largest, smallest) is None:
        return f"the price does not fit at {spec['font_min']}px: make the box larger or the smallest size smaller"
    return None


def _price_height(size: int) -> int:
    return math.ceil(size * (fonts.EM_ASCENT + 0.28))


def _price_size(content: MasterContent, width: int, height: int, largest: int, smallest: int) -> int | None:
    """The largest price size in [``smallest``, ``largest``] that fits the box, or ``None``."""
    size = largest
    while size >= smallest:
        if sum(price_widths(content, size)) + size * 0.04 <= width and _price_height(size) <= height:
            return size
        size -= 1
    return None


def _seller_problem(placed: Placed) -> str | None:
    """The sharer line as ``render_poster`` draws it at its smallest sizes (which follow the tile)."""
    x0, y0, x1, y1 = placed.slots.note
    s = (placed.slots.qr[2] - placed.slots.qr[0]) / 324
    name_size, code_size = max(12, round(22 * s)), max(10, round(round(30 * s) * 0.6))
    need_h = (block_height(name_size, line_height(name_size, 1.25), 1) + round(8 * s)
              + block_height(code_size, line_height(code_size, 1.3), 1))
    avatar = min(y1 - y0, round(96 * s)) + round(20 * s)  # the sharer's photo, when they have one, comes first
    need_w = (avatar + fonts.measure("国" * SELLER_NAME_CHARS + " 为你推荐", "bold", name_size)
              + math.ceil(name_size * 0.04))
    if y1 - y0 < need_h or x1 - x0 < need_w:
        return (f"the box ({x1 - x0}x{y1 - y0}px) cannot hold the sharer's photo, a {SELLER_NAME_CHARS}-character "
                f"name and the code line ({math.ceil(need_w)}x{need_h}px): make it larger")
    return None


def render_template_base(layout: dict, background: Image.Image | None, content: MasterContent,
                         photo: Image.Image | None, width: int, height: int,
                         focus: Focus | None = None) -> RenderResult:
    """The poster card of ``layout`` at ``width`` × ``height``: the background (cropped to fill),
    the photo in its box (cropped around ``focus``), the title and price shrunk to fit theirs, and
    the QR tile painted white for :func:`render_poster`. Assumes :func:`layout_problems` found
    nothing for this size and content; should text still not fit, it is shrunk to the smallest size
    and cut with an ellipsis (warning ``text_truncated``), never drawn outside its box.

    :raise ValueError: for a non-positive size.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"size must be positive, got {width}x{height}")
    notes: list[str] = []
    placed = place(layout, width, height)
    image = Image.new("RGB", (width, height), ImageColor.getrgb(layout.get("background_color", "#FFFFFF")))
    if background is not None:
        fitted, _ = cover(background, width, height)
        image.paste(fitted.convert("RGB"), (0, 0))
    px0, py0, px1, py1 = placed.boxes["photo"]
    if photo is None:
        notes.append("no_photo")
    elif px1 > px0 and py1 > py0:
        shot, factor = cover(photo, px1 - px0, py1 - py0, focus)
        image.paste(shot.convert("RGB"), (px0, py0))
        if factor > 1.0:
            notes.append("image_upscaled")
    blocks = []
    spec = layout["boxes"]["title"]
    tx0, ty0, tx1, ty1 = placed.boxes["title"]
    largest, smallest = _sizes(spec, placed.scale)
    title = fit_text(content.title.strip(), "bold", tx1 - tx0, ty1 - ty0, largest, smallest, 99, TITLE_LEADING,
                     balance=True)
    if title.truncated:
        notes.append("text_truncated")
    elif title.shrunk:
        notes.append("text_shrunk")
    colour = ImageColor.getrgb(spec.get("color", "#1C1C1E"))
    blocks.append(draw_block(image, "title", title, "bold", tx0, ty0, placed.boxes["title"], colour))
    spec = layout["boxes"]["price"]
    rx0, ry0, rx1, ry1 = placed.boxes["price"]
    largest, smallest = _sizes(spec, placed.scale)
    size = _price_size(content, rx1 - rx0, ry1 - ry0, largest, smallest)
    if size is None:  # refused when the template or the campaign was saved; an old version drawn anyway
        notes.append("text_truncated")
    else:
        # The struck-through old price in the title's colour: the looks' faint grey vanishes on a dark background.
        blocks.append(draw_price(image, content, rx0, ry0, size, placed.boxes["price"],
                                 ImageColor.getrgb(spec.get("color", "#C8102E")), old_fill=colour))
    qr = placed.slots.qr
    hint = placed.slots.hint  # the code's tile and its hint line on white, whatever the background
    ImageDraw.Draw(image).rectangle((qr[0], qr[1], qr[2] - 1, hint[3] - 1), fill=(255, 255, 255))
    return RenderResult(image, tuple(dict.fromkeys(notes)), tuple(blocks), placed.boxes["photo"], placed.slots)


def _box(x: float, y: float, w: float, h: float, **more) -> dict:
    return {"x": x, "y": y, "w": w, "h": h, **more}


# What a new template starts from (the console's form, the tests): every aspect laid out so that it
# passes :func:`layout_problems` at every channel's size; a marketer moves the boxes from here.
STARTER_LAYOUTS: dict[str, dict] = {
    "square": {"background_color": "#FFF8EE", "boxes": {
        "photo": _box(0.06, 0.04, 0.88, 0.46),
        "title": _box(0.06, 0.53, 0.52, 0.17, font_min=32, font_max=60, color="#1C1C1E"),
        "price": _box(0.06, 0.71, 0.52, 0.1, font_min=32, font_max=80, color="#C62828"),
        "qr": _box(0.62, 0.52, 0.32, 0.37),
        "seller": _box(0.06, 0.9, 0.88, 0.08)}},
    "portrait": {"background_color": "#FFF8EE", "boxes": {
        "photo": _box(0.06, 0.04, 0.88, 0.5),
        "title": _box(0.06, 0.57, 0.5, 0.18, font_min=36, font_max=64, color="#1C1C1E"),
        "price": _box(0.06, 0.76, 0.5, 0.08, font_min=36, font_max=84, color="#C62828"),
        "qr": _box(0.6, 0.56, 0.34, 0.3),
        "seller": _box(0.06, 0.88, 0.88, 0.08)}},
    "story": {"background_color": "#FFF8EE", "boxes": {
        "photo": _box(0.06, 0.04, 0.88, 0.39),
        "title": _box(0.06, 0.45, 0.4, 0.14, font_min=36, font_max=64, color="#1C1C1E"),
        "price": _box(0.06, 0.6, 0.4, 0.06, font_min=36, font_max=84, color="#C62828"),
        "qr": _box(0.5, 0.45, 0.34, 0.26),
        "seller": _box(0.06, 0.72, 0.78, 0.055)}},
    "landscape": {"background_color": "#FFF8EE", "boxes": {
        "photo": _box(0.0, 0.0, 0.5, 1.0),
        "title": _box(0.54, 0.05, 0.42, 0.25, font_min=30, font_max=56, color="#1C1C1E"),
        "price": _box(0.54, 0.31, 0.42, 0.12, font_min=30, font_max=72, color="#C62828"),
        "qr": _box(0.54, 0.56, 0.25, 0.42),
        "seller": _box(0.52, 0.44, 0.46, 0.1)}},
}
