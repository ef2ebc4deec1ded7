"""A sharer's poster: a copy of the poster card with their QR code, how to scan it, and their name.

About 9 ms from a cached card, against about 130 ms for a full render, which
is why cards are rendered once per content version and posters pasted on copies.
"""
from __future__ import annotations

from functools import lru_cache

import segno
from PIL import Image, ImageDraw

from channels.content import SharerVoice
from publishing.render import fonts
from publishing.render.card import PosterSlots, poster_slots
from publishing.render.palette import INK, MUTED, brand_rgb
from publishing.render.textfit import Fitted, draw_block, fit_text, line_height


def qr_image(target: str | segno.QRCode, module_px: int, border: int = 4) -> Image.Image:
    """A crisp black-on-white QR code for ``target`` (text or an encoded code) with a quiet zone (mode L)."""
    qr = target if isinstance(target, segno.QRCode) else segno.make(target, error="m")
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


def scan_hint(language: str, long_press: bool) -> str:
    """What a person does with the poster: a picture cannot be tapped, so it says how to scan it.

    ``long_press``: the app recognises a QR code in a picture pressed and held
    (WeChat, QQ, Weibo), so nobody needs a second phone.
    """
    chinese = language.lower().startswith("zh")
    if long_press:
        return "长按识别二维码" if chinese else "Press and hold to scan"
    return "扫码立即购买" if chinese else "Scan the code to buy"


def render_poster(base: Image.Image, voice: SharerVoice, hint: str, *, accent: str | None = None,
                  language: str = "zh-CN", slots: PosterSlots | None = None,
                  avatar: Image.Image | None = None, note_ink: tuple[int, int, int] | None = None) -> Image.Image:
    """A sharer's poster: a copy of ``base`` with their QR code, the scan ``hint`` under it and their name
    (after their ``avatar``, cut round, when they chose one and have a name to show).

    ``base`` should come from ``render_base(..., role="poster")`` at the same
    size, which leaves ``slots`` (default ``poster_slots(width, height)``) empty.
    ``note_ink``: the colour of the sharer's name and code (a brand template's, on its background).
    The QR code points at ``voice.qr_target``, fills its tile with whole-pixel
    modules and a quiet zone of at least two white modules (the band around
    the tile is light too). ``base`` itself is never modified.

    :raise ValueError: if the QR code cannot fit its tile at 3 px a module.
    """
    width, height = base.size
    where = slots or poster_slots(width, height)
    poster = base.copy()
    qx0, qy0, qx1, qy1 = where.qr
    tile = min(qx1 - qx0, qy1 - qy0)
    qr = segno.make(voice.qr_target, error="m")  # encoded once: sized from it, then drawn
    n = len(qr.matrix)
    module_px = tile // (n + 4)
    if module_px < 3:
        raise ValueError(f"QR code of {n} modules does not fit a {tile}px tile")
    border = (tile // module_px - n) // 2
    code = qr_image(qr, module_px, border)
    offset = (tile - code.width) // 2
    poster.paste(code, (qx0 + offset, qy0 + offset))

    accent_rgb = brand_rgb(accent, []) if accent else INK
    s = tile / 324
    hx0, hy0, hx1, hy1 = where.hint
    hint_fit = _line_fit(hint.strip(), "bold", hx1 - hx0, hy1 - hy0, round(30 * s))
    if hint_fit.lines:
        line_w = fonts.measure(hint_fit.lines[0], "bold", hint_fit.size)
        hx = hx0 + max(0, round((hx1 - hx0 - line_w) / 2))
        draw_block(poster, "hint", hint_fit, "bold", hx, hy0, where.hint, accent_rgb)

    chinese = language.lower().startswith("zh")
    if voice.name:
        label = f"{voice.name} 为你推荐" if chinese else f"Shared by {voice.name}"
    else:  # a buyer who has not chosen a name to show: never their real one
        label = "好友推荐" if chinese else "Recommended by a friend"
    code_line = (f"口令：{voice.code}" if chinese else f"Code: {voice.code}") if voice.code else ""
    nx0, ny0, nx1, ny1 = where.note
    gap = round(8 * s)
    room = ny1 - ny0
    if avatar is not None and voice.name:  # the photo first, the words beside it
        ax0, ay0, ax1, _ = avatar_box(where)
        _paste_round(poster, avatar, (ax0, ay0), ax1 - ax0)
        nx0 = ax1 + round(20 * s)
    text_w = nx1 - nx0
    code_fit = _line_fit(code_line, "bold", text_w, room // 2, round(30 * s)) if code_line else None
    name_room = room - (code_fit.height + gap if code_fit else 0)
    name_fit = fit_text(label, "bold", text_w, name_room, round(40 * s), max(12, round(22 * s)), 1, 1.25)
    stack = name_fit.height + (gap + code_fit.height if code_fit else 0)
    y = ny1 - stack  # sits on the band's bottom edge, under the price
    draw_block(poster, "name", name_fit, "bold", nx0, y, (nx0, y, nx1, y + name_fit.height), note_ink or INK)
    if code_fit:
        y += name_fit.height + gap
        draw_block(poster, "code", code_fit, "bold", nx0, y, (nx0, y, nx1, y + code_fit.height), note_ink or MUTED)
    return poster


def avatar_box(where: PosterSlots) -> tuple[int, int, int, int]:
    """The square the sharer's round photo fills: at the start of the name's box, on its bottom edge,
    at most the box's height (and about a third of the QR tile)."""
    nx0, ny0, _, ny1 = where.note
    tile = min(where.qr[2] - where.qr[0], where.qr[3] - where.qr[1])
    side = min(ny1 - ny0, round(96 * tile / 324))
    return nx0, ny1 - side, nx0 + side, ny1


def _paste_round(poster: Image.Image, avatar: Image.Image, at: tuple[int, int], side: int) -> None:
    """``avatar`` (square) scaled to ``side`` and pasted as a disc at ``at``, its edge smoothed
    by drawing the mask at four times the size."""
    face = avatar.convert("RGB").resize((side, side), Image.Resampling.LANCZOS)
    big = Image.new("L", (side * 4, side * 4), 0)
    ImageDraw.Draw(big).ellipse((0, 0, side * 4 - 1, side * 4 - 1), fill=255)
    poster.paste(face, at, big.resize((side, side), Image.Resampling.LANCZOS))


@lru_cache(maxsize=256)
def _line_fit(text: str, face: str, width: int, height: int, size: int) -> Fitted:
    """One line that is the same on every sharer's poster (the hint) or nearly: fit it once."""
    if not text:
        return Fitted(size, [], line_height(size, 1.3))
    return fit_text(text, face, width, max(1, height), size, max(10, round(size * 0.6)), 1, 1.3)
