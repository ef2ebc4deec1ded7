"""Grapheme clusters: the user-perceived characters of a string (UAX #29).

One splitter for the whole publishing side: text cutting (``textcut``), line
breaking (``linebreak``) and font runs (``fonts``) all split text here, so an
emoji ZWJ sequence, a flag or ``e`` plus a combining accent is one character
everywhere.

It follows Unicode's extended grapheme cluster rules (GB1–GB13, without
Unicode 15.1's Indic conjunct rule GB9c), using the character database Python
ships; it is written here rather than pulled in as a dependency because it is
small and the rules are stable. Pure functions; never raises.
"""
from __future__ import annotations

import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from functools import lru_cache

OTHER, CR, LF, CONTROL, EXTEND, ZWJ, RI, PREPEND, SPACING = range(9)
L, V, T, LV, LVT, PICT = range(9, 15)

# Extended_Pictographic (emoji-data.txt), as sorted inclusive ranges.
_PICTOGRAPHIC = (
    (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049),
    (0x2122, 0x2122), (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA),
    (0x231A, 0x231B), (0x2328, 0x2328), (0x2388, 0x2388), (0x23CF, 0x23CF),
    (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2), (0x25AA, 0x25AB),
    (0x25B6, 0x25B6), (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x2605),
    (0x2607, 0x2612), (0x2614, 0x2685), (0x2690, 0x2705), (0x2708, 0x2712),
    (0x2714, 0x2714), (0x2716, 0x2716), (0x271D, 0x271D), (0x2721, 0x2721),
    (0x2728, 0x2728), (0x2733, 0x2734), (0x2744, 0x2744), (0x2747, 0x2747),
    (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755), (0x2757, 0x2757),
    (0x2763, 0x2767), (0x2795, 0x2797), (0x27A1, 0x27A1), (0x27B0, 0x27B0),
    (0x27BF, 0x27BF), (0x2934, 0x2935), (0x2B05, 0x2B07), (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50), (0x2B55, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D),
    (0x3297, 0x3297), (0x3299, 0x3299), (0x1F000, 0x1F0FF), (0x1F10D, 0x1F10F),
    (0x1F12F, 0x1F12F), (0x1F16C, 0x1F171), (0x1F17E, 0x1F17F), (0x1F18E, 0x1F18E),
    (0x1F191, 0x1F19A), (0x1F1AD, 0x1F1E5), (0x1F201, 0x1F20F), (0x1F21A, 0x1F21A),
    (0x1F22F, 0x1F22F), (0x1F232, 0x1F23A), (0x1F23C, 0x1F23F), (0x1F249, 0x1F3FA),
    (0x1F400, 0x1F53D), (0x1F546, 0x1F64F), (0x1F680, 0x1F6FF), (0x1F774, 0x1F77F),
    (0x1F7D5, 0x1F7FF), (0x1F80C, 0x1F80F), (0x1F848, 0x1F84F), (0x1F85A, 0x1F85F),
    (0x1F888, 0x1F88F), (0x1F8AE, 0x1F8FF), (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945),
    (0x1F947, 0x1FAFF), (0x1FC00, 0x1FFFD),
)
_PICTOGRAPHIC_STARTS = tuple(start for start, _ in _PICTOGRAPHIC)

# Grapheme_Cluster_Break=Prepend (Unicode 14).
_PREPEND_CHARS = frozenset(
    [*range(0x0600, 0x0606), 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x0D4E,
     0x110BD, 0x110CD, 0x111C2, 0x111C3, 0x1193F, 0x11941, 0x11A3A,
     *range(0x11A84, 0x11A8A), 0x11D46]
)
# Spacing marks (Mc) that UAX #29 nevertheless lets a cluster break before.
_MC_NOT_SPACING = frozenset(
    [0x102B, 0x102C, 0x1038, 0x1062, 0x1063, 0x1064, *range(0x1067, 0x106E),
     0x1083, *range(0x1087, 0x108D), 0x108F, 0x109A, 0x109B, 0x109C, 0x1A61,
     0x1A63, 0x1A64, 0xAA7B, 0xAA7D, 0x11720, 0x11721]
)


def _is_pictographic(cp: int) -> bool:
    i = bisect_right(_PICTOGRAPHIC_STARTS, cp) - 1
    return i >= 0 and cp <= _PICTOGRAPHIC[i][1]


@lru_cache(maxsize=4096)
def break_property(ch: str) -> int:
    """The Grapheme_Cluster_Break value of ``ch`` (plus Extended_Pictographic)."""
    cp = ord(ch)
    if ch == "\r":
        return CR
    if ch == "\n":
        return LF
    if cp == 0x200D:
        return ZWJ
    # Checked before the emoji ranges they sit inside: skin tones extend the
    # emoji before them, regional indicators pair up into flags.
    if 0x1F3FB <= cp <= 0x1F3FF or cp == 0x200C or 0xE0020 <= cp <= 0xE007F or 0xFF9E <= cp <= 0xFF9F:
        return EXTEND
    if 0x1F1E6 <= cp <= 0x1F1FF:
        return RI
    if cp in _PREPEND_CHARS:
        return PREPEND
    category = unicodedata.category(ch)
    if category in ("Mn", "Me"):
        return EXTEND
    if category in ("Cc", "Cf", "Zl", "Zp", "Cs"):
        return CONTROL
    if category == "Mc":
        return OTHER if cp in _MC_NOT_SPACING else SPACING
    if cp in (0x0E33, 0x0EB3):  # Thai and Lao SARA AM: letters that behave as marks
        return SPACING
    if 0x1100 <= cp <= 0x115F or 0xA960 <= cp <= 0xA97C:
        return L
    if 0x1160 <= cp <= 0x11A7 or 0xD7B0 <= cp <= 0xD7C6:
        return V
    if 0x11A8 <= cp <= 0x11FF or 0xD7CB <= cp <= 0xD7FB:
        return T
    if 0xAC00 <= cp <= 0xD7A3:
        return LV if (cp - 0xAC00) % 28 == 0 else LVT
    if _is_pictographic(cp):
        return PICT
    return OTHER


def _is_boundary(prev: int, cur: int, after_pict_zwj: bool, odd_regional: bool) -> bool:
    """Whether a cluster boundary lies between characters of property ``prev`` and ``cur``."""
    if prev == CR and cur == LF:  # GB3
        return False
    if prev in (CONTROL, CR, LF) or cur in (CONTROL, CR, LF):  # GB4, GB5
        return True
    if prev == L and cur in (L, V, LV, LVT):  # GB6
        return False
    if prev in (LV, V) and cur in (V, T):  # GB7
        return False
    if prev in (LVT, T) and cur == T:  # GB8
        return False
    if cur in (EXTEND, ZWJ, SPACING):  # GB9, GB9a
        return False
    if prev == PREPEND:  # GB9b
        return False
    if after_pict_zwj and cur == PICT:  # GB11: emoji ZWJ sequences
        return False
    if prev == RI and cur == RI and odd_regional:  # GB12, GB13: flags are pairs
        return False
    return True  # GB999


def graphemes(text: str) -> Iterator[str]:
    """Yield the extended grapheme clusters of ``text``, in order.

    ``"".join(graphemes(text)) == text`` always holds; an empty string yields
    nothing. Never raises.
    """
    start = 0
    prev = OTHER
    in_pict = False  # inside ExtPict Extend*
    after_pict_zwj = False  # just after ExtPict Extend* ZWJ
    odd_regional = False  # an odd number of regional indicators ends at prev
    for i, ch in enumerate(text):
        prop = break_property(ch)
        if i and _is_boundary(prev, prop, after_pict_zwj, odd_regional):
            yield text[start:i]
            start = i
        if prop == PICT:
            in_pict, after_pict_zwj = True, False
        elif prop == ZWJ and in_pict:
            in_pict, after_pict_zwj = False, True
        elif prop == EXTEND and in_pict:
            after_pict_zwj = False
        else:
            in_pict = after_pict_zwj = False
        odd_regional = (not odd_regional) if prop == RI else False
        prev = prop
    if text:
        yield text[start:]


def grapheme_boundaries(text: str) -> set[int]:
    """The string offsets at which ``text`` may be split without breaking a cluster."""
    offsets = {0}
    position = 0
    for cluster in graphemes(text):
        position += len(cluster)
        offsets.add(position)
    return offsets
