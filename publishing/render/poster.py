"""A sharer's poster: a copy of the poster card with their QR code, name and call to action.

About 9 ms from a cached card, against about 130 ms for a full render, which
is why cards are rendered once per content version and posters pasted on copies.
"""
from __future__ import annotations

from functools import lru_cache

import segno
from PIL import Image

from channels.content import SharerVoice
from publishing.render.card import poster_slot
from publishing.render.palette import INK, MUTED, brand_rgb
from publishing.render.textfit import Box, Fitted, draw_block, fit_text, line_height


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
    qr = segno.make(voice.qr_target, error="m")  # encoded once: sized from it, then drawn
    modules = len(qr.matrix) + 8
    module_px = qr_room // modules
    if module_px < 3:
        raise ValueError(f"QR code of {modules} modules does not fit a {qr_room}px slot")
    code = qr_image(qr, module_px)
    qr_x = x1 - margin - code.width
    qr_y = y0 + (slot_h - code.height) // 2
    poster.paste(code, (qr_x, qr_y))

    accent_rgb = INK
    if accent:
        accent_rgb = brand_rgb(accent, [])
    chinese = language.lower().startswith("zh")
    if voice.name:
        label = f"{voice.name} 为你推荐" if chinese else f"Shared by {voice.name}"
    else:  # a buyer who has not chosen a name to show: never their real one
        label = "好友推荐" if chinese else "Recommended by a friend"
    code_line = (f"口令：{voice.code}" if chinese else f"Code: {voice.code}") if voice.code else ""

    tx = x0 + margin
    text_w = qr_x - round(40 * s) - tx
    name_fit = fit_text(label, "bold", text_w, round(60 * s), round(44 * s), round(26 * s), 1, 1.25)
    cta_fit = _cta_fit(call_to_action.strip(), text_w, round(31 * s))
    code_fit = fit_text(code_line, "bold", text_w, round(48 * s), round(30 * s), round(20 * s), 1, 1.3) if code_line else None
    gap = round(14 * s)
    stack = name_fit.height + (gap + cta_fit.height if cta_fit.lines else 0) + (gap + code_fit.height if code_fit else 0)
    y = y0 + max(0, (slot_h - stack) // 2)
    draw_block(poster, "name", name_fit, "bold", tx, y, (tx, y, tx + text_w, y + name_fit.height), INK)
    y += name_fit.height + gap
    if cta_fit.lines:
        draw_block(poster, "cta", cta_fit, "regular", tx, y, (tx, y, tx + text_w, y + cta_fit.height), MUTED)
        y += cta_fit.height + gap
    if code_fit:
        draw_block(poster, "code", code_fit, "bold", tx, y, (tx, y, tx + text_w, y + code_fit.height), accent_rgb)
    return poster


@lru_cache(maxsize=256)
def _cta_fit(text: str, width: int, size: int) -> Fitted:
    """The call to action is the same on every sharer's poster: fit it once."""
    if not text:
        return Fitted(size, [], line_height(size, 1.35))
    return fit_text(text, "regular", width, line_height(size, 1.35) * 2, size, max(12, round(size * 0.75)), 2, 1.35)
