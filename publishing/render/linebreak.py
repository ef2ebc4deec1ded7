"""Line breaking for mixed Chinese and Latin text, measured by the caller.

Pillow's own wrapper only breaks at spaces, which leaves Chinese unbroken.
Here Chinese breaks between any two characters, Latin words stay whole, and
the kinsoku rules hold: no line starts with closing punctuation (，。！？、）…)
and none ends with opening punctuation (（《「“). Emoji sequences, skin tones
and flags are grapheme clusters (:mod:`publishing.graphemes`) and never split.

Everything is pure: widths come from a ``measure(text) -> float`` function the
caller supplies, so the same code serves any font and is testable without one.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable

from channels.graphemes import EXTEND, RI, SPACING, ZWJ, break_property, graphemes

Measure = Callable[[str], float]

ELLIPSIS = "…"

# Characters that must not begin a line (行头禁则).
NO_LINE_START = frozenset(
    "，。！？；：、）》」』】〕〗〙〛｝］’”〉…‥・·〜～ー々ゝゞ〻"
    "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"
    ",.!?;:)]}%‰℃°′″"
    "\u2014\u2015\u2025\u00bb\u203a\uff05\uff0e\uff61\uff64"
)
# Characters that must not end a line (行尾禁则); currency signs stay with
# their amount.
NO_LINE_END = frozenset(
    "（《「『【〔〖〘〚｛［‘“〈"
    "([{"
    "¥￥$€£₩\u00ab\u2039"
)
# Dashes and ellipses come in pairs (——, ……) that are never split.
_INSEPARABLE = frozenset("—…⋯")
# What continues an emoji or a flag: marks, selectors, skin tones, ZWJ, a second indicator.
_JOINING = (EXTEND, ZWJ, SPACING, RI)


def is_wide(cluster: str) -> bool:
    """Whether a cluster breaks like a CJK ideograph or an emoji (anywhere)."""
    cp = ord(cluster[0])
    if len(cluster) > 1 and any(break_property(c) in _JOINING for c in cluster[1:]):
        return cp > 0x2000 or "\u20e3" in cluster
    if cp >= 0x1F000:
        return True
    return unicodedata.east_asian_width(cluster[0]) in ("W", "F")


def _atoms(text: str) -> list[tuple[str, bool]]:
    """Break ``text`` into unbreakable atoms, each with "a space came before".

    A Latin word is one atom; each wide cluster is an atom of its own.
    """
    atoms: list[tuple[str, bool]] = []
    word: list[str] = []
    space_before = False
    pending_space = False

    def flush() -> None:
        nonlocal space_before
        if word:
            atoms.append(("".join(word), space_before))
            word.clear()
            space_before = False

    for cluster in graphemes(text):
        if cluster.isspace():
            flush()
            pending_space = True
            continue
        if pending_space:
            flush()
            space_before = True
            pending_space = False
        if is_wide(cluster) or cluster in NO_LINE_START or cluster in NO_LINE_END:
            flush()
            atoms.append((cluster, space_before))
            space_before = False
        else:
            word.append(cluster)
    flush()
    return atoms


def _units(text: str) -> list[tuple[str, bool]]:
    """Glue atoms together wherever a break would violate kinsoku rules."""
    units: list[tuple[str, bool]] = []
    glue_next = False
    for atom, space_before in _atoms(text):
        first, last = atom[0], atom[-1]
        joins_previous = bool(units) and (
            glue_next
            or first in NO_LINE_START
            or (first in _INSEPARABLE and units[-1][0][-1] == first)
        )
        if joins_previous:
            prev, prev_space = units[-1]
            units[-1] = (prev + (" " if space_before else "") + atom, prev_space)
        else:
            units.append((atom, space_before))
        glue_next = last in NO_LINE_END
    return units


def _hard_split(unit: str, max_width: float, measure: Measure) -> list[str]:
    """Split one over-wide unit between grapheme clusters, as a last resort."""
    pieces: list[str] = []
    current = ""
    for cluster in graphemes(unit):
        if current and measure(current + cluster) > max_width:
            pieces.append(current)
            current = cluster
        else:
            current += cluster
    if current:
        pieces.append(current)
    return pieces


def wrap(text: str, max_width: float, measure: Measure) -> list[str]:
    """Wrap ``text`` into lines no wider than ``max_width``.

    Explicit newlines start new lines. Breaks fall between wide characters or
    at spaces, never inside a Latin word, an emoji cluster or a kinsoku group;
    a single word wider than the line is split between characters. Spaces at
    line edges are dropped. Returns ``[]`` for blank text.
    """
    lines: list[str] = []
    for paragraph in text.splitlines():
        if not paragraph.strip():
            continue
        current = ""
        for unit, space_before in _units(paragraph):
            candidate = current + (" " if current and space_before else "") + unit
            if not current or measure(candidate) <= max_width:
                if not current and measure(unit) > max_width:
                    *done, current = _hard_split(unit, max_width, measure)
                    lines.extend(done)
                else:
                    current = candidate
                continue
            lines.append(current)
            if measure(unit) > max_width:
                *done, current = _hard_split(unit, max_width, measure)
                lines.extend(done)
            else:
                current = unit
        if current:
            lines.append(current)
    return lines


def truncate(line: str, max_width: float, measure: Measure, ellipsis: str = ELLIPSIS) -> str:
    """Shorten ``line`` so that it plus ``ellipsis`` fits ``max_width``.

    Cuts between grapheme clusters, drops trailing spaces and punctuation that
    would sit awkwardly before the ellipsis, and never leaves an opening
    bracket dangling. Returns the ellipsis alone if nothing else fits.
    """
    units = [unit for unit, _ in _units(line)]
    spaced = [space for _, space in _units(line)]
    # Prefer dropping whole words (or whole CJK characters) ...
    while len(units) > 1:
        units.pop()
        spaced.pop()
        head = _tidy("".join((" " if sp and i else "") + u for i, (u, sp) in enumerate(zip(units, spaced))))
        if head and measure(head + ellipsis) <= max_width:
            return head + ellipsis
    # ... and cut inside a word only when a single word is too wide.
    clusters = list(graphemes(line))
    while clusters:
        head = _tidy("".join(clusters))
        if head and measure(head + ellipsis) <= max_width:
            return head + ellipsis
        clusters.pop()
    return ellipsis


def _tidy(head: str) -> str:
    """Strip what should not stand right before an ellipsis."""
    head = head.rstrip().rstrip("，。、；：,.;:!?！？ ·-—…")
    while head and head[-1] in NO_LINE_END:
        head = head[:-1].rstrip()
    return head
