"""The fonts that ship with Sharecast, loaded once, and text drawn with them.

Text is set in Noto Sans CJK SC (Regular and Bold, in ``static/fonts``), which
covers Chinese, Latin, kana and hangul. Emoji come from Noto Color Emoji, a
bitmap font that FreeType loads only at its native size (109): each emoji is
drawn there once in colour and cached, scaled, as a small RGBA stamp.

A line is drawn as runs: plain text through the text font, each emoji cluster
as a stamp. ``measure`` and ``draw`` agree on that model, so what the layout
measures is what ends up on the image.
"""
from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from channels.graphemes import graphemes
from plumbing.config import ROOT

FONT_DIR = ROOT / "static" / "fonts"
FACES = {
    "regular": "NotoSansCJKsc-Regular.otf",
    "bold": "NotoSansCJKsc-Bold.otf",
}
EMOJI_FILE = "NotoColorEmoji.ttf"
EMOJI_NATIVE_SIZE = 109  # the only size at which the CBDT strike loads

# Noto CJK's ideographic em box spans 0.88 em above the baseline and 0.12 em
# below; emoji stamps sit in that same box so they line up with the text.
EM_ASCENT = 0.88
EM_DESCENT = 0.12

# Emoji_Presentation code points below U+1F000: drawn in colour even without
# a U+FE0F selector. Above U+1F000 everything is treated as emoji.
_BMP_EMOJI = frozenset(
    [0x231A, 0x231B, 0x23E9, 0x23EA, 0x23EB, 0x23EC, 0x23F0, 0x23F3, 0x25FD, 0x25FE,
     0x2614, 0x2615, 0x267F, 0x2693, 0x26A1, 0x26AA, 0x26AB, 0x26BD, 0x26BE, 0x26C4,
     0x26C5, 0x26CE, 0x26D4, 0x26EA, 0x26F2, 0x26F3, 0x26F5, 0x26FA, 0x26FD, 0x2705,
     0x270A, 0x270B, 0x2728, 0x274C, 0x274E, 0x2753, 0x2754, 0x2755, 0x2757, 0x2795,
     0x2796, 0x2797, 0x27B0, 0x27BF, 0x2B1B, 0x2B1C, 0x2B50, 0x2B55]
    + list(range(0x2648, 0x2654))
)


@lru_cache(maxsize=128)
def load_font(face: str, size: int) -> ImageFont.FreeTypeFont:
    """The text font ``face`` ("regular" or "bold") at ``size`` pixels.

    :raise KeyError: for an unknown face.
    :raise OSError: if the font file is missing from ``static/fonts``.
    """
    return ImageFont.truetype(str(FONT_DIR / FACES[face]), size)


@lru_cache(maxsize=1)
def emoji_font() -> ImageFont.FreeTypeFont:
    """Noto Color Emoji at its native bitmap size."""
    return ImageFont.truetype(str(FONT_DIR / EMOJI_FILE), EMOJI_NATIVE_SIZE)


def is_emoji(cluster: str) -> bool:
    """Whether a grapheme cluster should be drawn from the colour emoji font."""
    if not cluster:
        return False
    cp = ord(cluster[0])
    if "\ufe0e" in cluster:  # text presentation explicitly asked for
        return False
    if "\ufe0f" in cluster or "\u20e3" in cluster:
        return True
    return cp >= 0x1F000 or cp in _BMP_EMOJI


@lru_cache(maxsize=512)
def _emoji_native(cluster: str) -> Image.Image:
    font = emoji_font()
    left, top, right, bottom = font.getbbox(cluster)
    canvas = Image.new("RGBA", (max(1, right), max(1, bottom)), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((0, 0), cluster, font=font, embedded_color=True)
    return canvas


def emoji_width(cluster: str, size: int) -> int:
    """The advance of an emoji stamp at ``size``, without scaling any pixels."""
    native = _emoji_native(cluster)
    return max(1, round(native.width * max(1, size) / native.height))


@lru_cache(maxsize=1024)
def emoji_stamp(cluster: str, size: int) -> Image.Image:
    """The emoji ``cluster`` in colour, scaled to a ``size``-pixel em box (RGBA)."""
    height = max(1, size)
    return _emoji_native(cluster).resize((emoji_width(cluster, size), height), Image.Resampling.LANCZOS)


def runs(line: str) -> list[tuple[str, bool]]:
    """Split a line into ``(text, is_emoji)`` runs."""
    out: list[tuple[str, bool]] = []
    for cluster in graphemes(line):
        emoji = is_emoji(cluster)
        if out and not emoji and not out[-1][1]:
            out[-1] = (out[-1][0] + cluster, False)
        else:
            out.append((cluster, emoji))
    return out


def measure(line: str, face: str, size: int) -> float:
    """The advance width of ``line`` in pixels, emoji included."""
    font = load_font(face, size)
    width = 0.0
    for text, emoji in runs(line):
        width += emoji_width(text, size) if emoji else font.getlength(text)
    return width


def measurer(face: str, size: int):
    """A ``measure(text) -> float`` for the line breaker."""
    return lambda text: measure(text, face, size)


@lru_cache(maxsize=1024)
def _tight_box(text: str, face: str, size: int) -> tuple[int, int, int, int]:
    """The inked pixels of ``text`` relative to its origin on the baseline.

    ``FreeTypeFont.getbbox`` starts at the pen origin, not at the first inked
    pixel, so it cannot tell how far a bracket's blank half reaches.
    """
    mask, (dx, dy) = load_font(face, size).getmask2(text, anchor="ls")
    inked = mask.getbbox()
    if inked is None:
        return (0, 0, 0, 0)
    return (dx + inked[0], dy + inked[1], dx + inked[2], dy + inked[3])


def left_bearing(char: str, face: str, size: int) -> int:
    """Blank pixels before the ink of ``char`` (full-width brackets have half an em)."""
    return _tight_box(char, face, size)[0]


def ink_box(line: str, face: str, size: int, x: float, baseline: float) -> tuple[int, int, int, int]:
    """The pixel box ``draw_line`` would touch, for layout checks and tests."""
    font = load_font(face, size)
    left, top = float("inf"), float("inf")
    right, bottom = float("-inf"), float("-inf")
    cursor = x
    for text, emoji in runs(line):
        if emoji:
            advance = emoji_width(text, size)
            box = (cursor, baseline - EM_ASCENT * size, cursor + advance, baseline + EM_DESCENT * size)
            cursor += advance
        else:
            box = _tight_box(text, face, size)
            box = (box[0] + cursor, box[1] + baseline, box[2] + cursor, box[3] + baseline)
            cursor += font.getlength(text)
        left, top = min(left, box[0]), min(top, box[1])
        right, bottom = max(right, box[2]), max(bottom, box[3])
    if left == float("inf"):
        return (round(x), round(baseline), round(x), round(baseline))
    return (int(left), int(top), int(-(-right // 1)), int(-(-bottom // 1)))


def draw_line(image: Image.Image, x: float, baseline: float, line: str, face: str, size: int, fill) -> float:
    """Draw ``line`` with its left end at ``x`` on ``baseline``; return the width."""
    font = load_font(face, size)
    draw = ImageDraw.Draw(image)
    cursor = x
    for text, emoji in runs(line):
        if emoji:
            stamp = emoji_stamp(text, size)
            top = round(baseline - EM_ASCENT * size)
            if image.mode == "RGBA":
                image.alpha_composite(stamp, (round(cursor), top))
            else:
                image.paste(stamp, (round(cursor), top), stamp)
            cursor += stamp.width
        else:
            draw.text((cursor, baseline), text, font=font, fill=fill, anchor="ls")
            cursor += font.getlength(text)
    return cursor - x
