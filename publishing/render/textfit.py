"""Text fitted into a box: the largest size that wraps within it, drawn line by line.

Wrapping follows the kinsoku rules of :mod:`publishing.linebreak`; measuring
and drawing go through :mod:`publishing.fonts`, so what is measured is what
is drawn.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image

from publishing.render import fonts
from publishing.render.linebreak import truncate, wrap

Box = tuple[int, int, int, int]  # left, top, right, bottom


@dataclass(frozen=True)
class TextBlock:
    """One laid-out piece of text: the box it was given and the ink it left."""

    name: str
    box: Box
    ink: Box
    size: int
    lines: tuple[str, ...]


@dataclass
class Fitted:
    size: int
    lines: list[str]
    line_height: int
    shrunk: bool = False
    truncated: bool = False

    @property
    def height(self) -> int:
        return block_height(self.size, self.line_height, len(self.lines))


def line_height(size: int, leading: float) -> int:
    return math.ceil(size * leading)


def block_height(size: int, line_height: int, lines: int) -> int:
    # Latin descenders (g, p, commas) reach below the ideographic em box:
    # the last line gets that much extra room so nothing is ever clipped.
    return line_height * lines + math.ceil(size * 0.1) if lines else 0


def fit_text(text: str, face: str, width: int, height: int, max_size: int, min_size: int,
             max_lines: int, leading: float = 1.25, balance: bool = False) -> Fitted:
    """The largest size at which ``text`` wraps into the box, else truncation.

    Tries sizes from ``max_size`` down to ``min_size`` (binary search: fitting
    is monotonic in size); if even ``min_size`` overflows, keeps the lines that
    fit and ends the last with an ellipsis. ``balance`` evens out line lengths
    (for headlines; body text stays ragged-right).
    """
    min_size = max(1, min(min_size, max_size))

    def attempt(size: int) -> list[str] | None:
        lines = wrap(text, _usable(width, size), fonts.measurer(face, size))
        if len(lines) <= max_lines and block_height(size, line_height(size, leading), len(lines)) <= height:
            return lines
        return None

    best = attempt(max_size)
    if best is not None:
        if balance:
            best = _balance(text, face, max_size, width, best)
        return Fitted(max_size, best, line_height(max_size, leading))
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
        return Fitted(size, lines, line_height(size, leading), shrunk=True)
    size = min_size
    measure = fonts.measurer(face, size)
    lh = line_height(size, leading)
    lines = wrap(text, _usable(width, size), measure)
    keep = max(1, min(max_lines, (height - math.ceil(size * 0.1)) // lh))
    kept = lines[:keep]
    kept[-1] = truncate(kept[-1] + ("" if len(lines) == keep else "…"), _usable(width, size), measure)
    return Fitted(size, kept, lh, shrunk=True, truncated=True)


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


def draw_block(image: Image.Image, name: str, fitted: Fitted, face: str, x: int, top: int,
                box: Box, fill) -> TextBlock:
    inks = []
    for i, line in enumerate(fitted.lines):
        baseline = top + i * fitted.line_height + (fitted.line_height - fitted.size) / 2 + fonts.EM_ASCENT * fitted.size
        left = x - _hang(line, face, fitted.size)
        fonts.draw_line(image, left, baseline, line, face, fitted.size, fill)
        inks.append(fonts.ink_box(line, face, fitted.size, left, baseline))
    ink = (min(b[0] for b in inks), min(b[1] for b in inks), max(b[2] for b in inks), max(b[3] for b in inks))
    return TextBlock(name, box, ink, fitted.size, tuple(fitted.lines))
