"""Measuring and cutting post text: X's weighted length and boundary-aware cuts.

Pure functions over ``str``. Two rules shape everything here:

* A user-perceived character (a grapheme cluster: 👍🏽, 👨‍👩‍👧, 🇨🇳, 1️⃣, é
  written as e + ◌́) is never split, and neither is a URL or a Latin word.
* Lengths are measured by a caller-supplied function, because channels count
  differently: most count code points (``len``), X weighs them
  (:func:`x_weighted_length`).

The grapheme splitter follows Unicode's extended grapheme cluster rules
(UAX #29, GB1–GB13, without Unicode 15.1's Indic conjunct rule GB9c), using the
character database Python ships; it is written here rather than pulled in as a
dependency because it is small and the rules are stable.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

Length = Callable[[str], int]

ELLIPSIS = "…"

# URLs as written in copy: with a scheme or starting "www.". The host may be
# internationalised ("https://例子.中国/"); after it only ASCII URL characters
# count, so a URL followed directly by Chinese ("…/spring立即购买") ends where
# the Chinese starts. Chinese written inside a path is therefore left out.
URL_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:https?://|www\.)"  # not inside a word: "abchttps://"
    r"[^\s/?#<>\"'，。！？、；：“”‘’（）《》【】「」…]+"
    r"(?:[/?#][A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*)?",
    re.IGNORECASE,
)
# Punctuation that ends a sentence rather than belonging to the URL before it.
_URL_TRAILING = ".,;:!?'\")]"

# ---------------------------------------------------------------------------
# Grapheme clusters (UAX #29)
# ---------------------------------------------------------------------------

_OTHER, _CR, _LF, _CONTROL, _EXTEND, _ZWJ, _RI, _PREPEND, _SPACING = range(9)
_L, _V, _T, _LV, _LVT, _PICT = range(9, 15)

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
def _break_property(ch: str) -> int:
    """The Grapheme_Cluster_Break value of ``ch`` (plus Extended_Pictographic)."""
    cp = ord(ch)
    if ch == "\r":
        return _CR
    if ch == "\n":
        return _LF
    if cp == 0x200D:
        return _ZWJ
    # Checked before the emoji ranges they sit inside: skin tones extend the
    # emoji before them, regional indicators pair up into flags.
    if 0x1F3FB <= cp <= 0x1F3FF or cp == 0x200C or 0xE0020 <= cp <= 0xE007F or 0xFF9E <= cp <= 0xFF9F:
        return _EXTEND
    if 0x1F1E6 <= cp <= 0x1F1FF:
        return _RI
    if cp in _PREPEND_CHARS:
        return _PREPEND
    category = unicodedata.category(ch)
    if category in ("Mn", "Me"):
        return _EXTEND
    if category in ("Cc", "Cf", "Zl", "Zp", "Cs"):
        return _CONTROL
    if category == "Mc":
        return _OTHER if cp in _MC_NOT_SPACING else _SPACING
    if cp in (0x0E33, 0x0EB3):  # Thai and Lao SARA AM: letters that behave as marks
        return _SPACING
    if 0x1100 <= cp <= 0x115F or 0xA960 <= cp <= 0xA97C:
        return _L
    if 0x1160 <= cp <= 0x11A7 or 0xD7B0 <= cp <= 0xD7C6:
        return _V
    if 0x11A8 <= cp <= 0x11FF or 0xD7CB <= cp <= 0xD7FB:
        return _T
    if 0xAC00 <= cp <= 0xD7A3:
        return _LV if (cp - 0xAC00) % 28 == 0 else _LVT
    if _is_pictographic(cp):
        return _PICT
    return _OTHER


def _is_boundary(prev: int, cur: int, after_pict_zwj: bool, odd_regional: bool) -> bool:
    """Whether a cluster boundary lies between characters of property ``prev`` and ``cur``."""
    if prev == _CR and cur == _LF:  # GB3
        return False
    if prev in (_CONTROL, _CR, _LF) or cur in (_CONTROL, _CR, _LF):  # GB4, GB5
        return True
    if prev == _L and cur in (_L, _V, _LV, _LVT):  # GB6
        return False
    if prev in (_LV, _V) and cur in (_V, _T):  # GB7
        return False
    if prev in (_LVT, _T) and cur == _T:  # GB8
        return False
    if cur in (_EXTEND, _ZWJ, _SPACING):  # GB9, GB9a
        return False
    if prev == _PREPEND:  # GB9b
        return False
    if after_pict_zwj and cur == _PICT:  # GB11: emoji ZWJ sequences
        return False
    if prev == _RI and cur == _RI and odd_regional:  # GB12, GB13: flags are pairs
        return False
    return True  # GB999


def graphemes(text: str) -> Iterator[str]:
    """Yield the extended grapheme clusters of ``text``, in order.

    ``"".join(graphemes(text)) == text`` always holds; an empty string yields
    nothing. Never raises.
    """
    start = 0
    prev = _OTHER
    in_pict = False  # inside ExtPict Extend*
    after_pict_zwj = False  # just after ExtPict Extend* ZWJ
    odd_regional = False  # an odd number of regional indicators ends at prev
    for i, ch in enumerate(text):
        prop = _break_property(ch)
        if i and _is_boundary(prev, prop, after_pict_zwj, odd_regional):
            yield text[start:i]
            start = i
        if prop == _PICT:
            in_pict, after_pict_zwj = True, False
        elif prop == _ZWJ and in_pict:
            in_pict, after_pict_zwj = False, True
        elif prop == _EXTEND and in_pict:
            after_pict_zwj = False
        else:
            in_pict = after_pict_zwj = False
        odd_regional = (not odd_regional) if prop == _RI else False
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


def find_urls(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the URLs in ``text``, trailing punctuation excluded."""
    spans = []
    for match in URL_RE.finditer(text):
        start, end = match.span()
        if start and _break_property(text[start - 1]) == _PREPEND:
            continue  # the "h" belongs to the cluster before it
        while end > start and text[end - 1] in _URL_TRAILING:
            # Keep a closing parenthesis that closes one opened inside the URL.
            if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
                break
            end -= 1
        # A URL ends where a cluster ends: in "…/spring1️⃣" the keycap's marks
        # join the URL rather than leave the cluster split.
        while end < len(text) and _break_property(text[end]) in (_EXTEND, _ZWJ, _SPACING):
            end += 1
        spans.append((start, end))
    return spans


# ---------------------------------------------------------------------------
# X (Twitter) weighted length
# ---------------------------------------------------------------------------

# twitter-text v3 configuration: code points in these ranges weigh 1, every
# other code point 2; any URL 23; any emoji sequence 2 as a whole.
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
X_URL_WEIGHT = 23
X_EMOJI_WEIGHT = 2
X_LIMIT = 280


def _x_code_point_weight(cp: int) -> int:
    return 1 if any(low <= cp <= high for low, high in _X_LIGHT_RANGES) else 2


def _is_emoji_cluster(cluster: str) -> bool:
    """Whether twitter-text would count ``cluster`` as one emoji."""
    if "\u20e3" in cluster:
        return True  # keycaps: 1️⃣ #️⃣
    if not any(_break_property(ch) in (_PICT, _RI) for ch in cluster):
        return False
    # ©, ® and ‼ alone are text; with VS16 (©️) or beyond the light ranges
    # they are emoji.
    return "\ufe0f" in cluster or any(_x_code_point_weight(ord(ch)) == 2 for ch in cluster)


def x_weighted_length(text: str) -> int:
    """The length X (Twitter) counts against its 280 limit.

    Following twitter-text v3 on NFC-normalised text: each URL counts 23 however
    long it is; each emoji (including ZWJ sequences, skin tones and flags)
    counts 2; other code points count 1 in the ranges U+0000–U+10FF,
    U+2000–U+200D, U+2010–U+201F and U+2032–U+2037 and 2 elsewhere (so each
    Chinese character counts 2). URLs are recognised when they start with a
    scheme or ``www.``; bare domains (``example.com``) are counted as text.
    Never raises.
    """
    text = unicodedata.normalize("NFC", text)
    total = 0
    position = 0
    for start, end in find_urls(text):
        total += _x_plain_weight(text[position:start]) + X_URL_WEIGHT
        position = end
    return total + _x_plain_weight(text[position:])


def _x_plain_weight(text: str) -> int:
    total = 0
    for cluster in graphemes(text):
        if _is_emoji_cluster(cluster):
            total += X_EMOJI_WEIGHT
        else:
            total += sum(_x_code_point_weight(ord(ch)) for ch in cluster)
    return total


# ---------------------------------------------------------------------------
# Cutting at a boundary
# ---------------------------------------------------------------------------

# A cut at a sentence or clause end is preferred only while it keeps at least
# this share of the budget; otherwise losing half the text to find a full stop
# costs more than a cut mid-clause.
MIN_KEPT_SHARE = 0.5

_SENTENCE_ENDS = frozenset("。！？｡!?\n") | {"\r\n", "\r"}
_LATIN_SENTENCE_ENDS = frozenset(".!?")  # only before whitespace: "3.5" and "e.g" are not ends
_CLOSERS = frozenset("”’」』）)》】〕\"'")
_CLAUSE_ENDS = frozenset("，、；：,;:")
# Left at the end of a cut these look broken or doubled, so they are dropped
# before the ellipsis: spaces, clause punctuation, opening brackets and full
# stops (the ellipsis takes the full stop's place; ！ and ？ keep their tone).
_DANGLING = _CLAUSE_ENDS | frozenset("。｡.（《「『【〔“‘([{-—–·")
# Scripts written without spaces between words: any cluster boundary is fine.
_UNSPACED_RANGES = (
    (0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x2E80, 0x2FDF),
    (0x3040, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
    (0xFF66, 0xFF9D), (0x20000, 0x3134F),
)
_WORD_JOINERS = frozenset("'’-.,")  # inside words and numbers: don't, e-mail, 3.5, 1,299

_BREAK_ANY, _BREAK_CLAUSE, _BREAK_SENTENCE = 0, 1, 2


@dataclass(frozen=True)
class _Atom:
    """A piece of text that a cut never enters: a URL, a word or a cluster."""

    text: str
    kind: str  # "url", "word" or "cluster"


def _is_word_cluster(cluster: str) -> bool:
    base = cluster[0]
    if unicodedata.category(base)[0] not in "LN":
        return False
    cp = ord(base)
    return not any(low <= cp <= high for low, high in _UNSPACED_RANGES)


def _atoms(text: str) -> list[_Atom]:
    atoms: list[_Atom] = []
    position = 0
    for start, end in find_urls(text):
        atoms.extend(_plain_atoms(text[position:start]))
        atoms.append(_Atom(text[start:end], "url"))
        position = end
    atoms.extend(_plain_atoms(text[position:]))
    return atoms


def _plain_atoms(text: str) -> list[_Atom]:
    clusters = list(graphemes(text))
    atoms: list[_Atom] = []
    word: list[str] = []
    for i, cluster in enumerate(clusters):
        joins_word = (
            cluster in _WORD_JOINERS
            and word
            and i + 1 < len(clusters)
            and _is_word_cluster(clusters[i + 1])
        )
        if _is_word_cluster(cluster) or joins_word:
            word.append(cluster)
            continue
        if word:
            atoms.append(_Atom("".join(word), "word"))
            word = []
        atoms.append(_Atom(cluster, "cluster"))
    if word:
        atoms.append(_Atom("".join(word), "word"))
    return atoms


def _break_strength(atoms: list[_Atom], k: int) -> int:
    """How good a place the boundary after ``atoms[k - 1]`` is to cut at."""
    i = k - 1
    while i > 0 and atoms[i].text in _CLOSERS:  # 。” ends a sentence after the quote
        i -= 1
    last = atoms[i].text
    if last in _SENTENCE_ENDS:
        return _BREAK_SENTENCE
    if last in _LATIN_SENTENCE_ENDS and (k == len(atoms) or atoms[k].text.isspace()):
        return _BREAK_SENTENCE
    if atoms[k - 1].text in _CLAUSE_ENDS or atoms[k - 1].text.isspace():
        return _BREAK_CLAUSE
    return _BREAK_ANY


def _kept(atoms: list[_Atom], k: int) -> int:
    """``k`` less the atoms that would dangle at the end of a cut."""
    while k > 0 and (atoms[k - 1].text.isspace() or atoms[k - 1].text in _DANGLING):
        k -= 1
    return k


def cut_text(text: str, limit: int, length: Length = len, ellipsis: str = ELLIPSIS) -> tuple[str, bool]:
    """Cut ``text`` to at most ``limit`` as measured by ``length``.

    Returns ``(text, False)`` when it already fits. Otherwise returns
    ``(prefix + ellipsis, True)`` where ``prefix`` is a prefix of ``text``
    chosen in this order of preference, each only if it keeps at least
    :data:`MIN_KEPT_SHARE` of the limit: the end of a sentence (。！？.!? or a
    line break), the end of a clause (，、；：,;: or a space), then the longest
    prefix that fits. The prefix never ends inside a URL, a Latin word or a
    grapheme cluster, and trailing spaces, clause punctuation and opening
    brackets are dropped before the ellipsis. Only when not even the first
    word fits is a word split (between clusters); a URL is never split, it is
    left out. If ``ellipsis`` alone exceeds ``limit`` it is left out too.

    ``length`` must not decrease as a prefix grows (true of ``len`` and of
    :func:`x_weighted_length`).

    :raise ValueError: ``limit`` is negative.
    """
    if limit < 0:
        raise ValueError("limit must not be negative")
    if length(text) <= limit:
        return text, False
    if length(ellipsis) > limit:
        ellipsis = ""
    atoms = _atoms(text)
    ends = [0]
    for atom in atoms:
        ends.append(ends[-1] + len(atom.text))

    def fits(k: int) -> bool:
        return length(text[: ends[_kept(atoms, k)]] + ellipsis) <= limit

    best = _last_true(fits, 0, len(atoms))
    if best == 0 or _kept(atoms, best) == 0:
        return _cut_inside_first_word(atoms, limit, length, ellipsis), True

    floor = limit * MIN_KEPT_SHARE
    shortest = _last_true(lambda k: length(text[: ends[k]]) < floor, 0, best) + 1
    for strength in (_BREAK_SENTENCE, _BREAK_CLAUSE):
        for k in range(best, max(shortest, 1) - 1, -1):
            if _break_strength(atoms, k) >= strength and _kept(atoms, k) and fits(k):
                return text[: ends[_kept(atoms, k)]] + ellipsis, True
    return text[: ends[_kept(atoms, best)]] + ellipsis, True


def _last_true(predicate: Callable[[int], bool], low: int, high: int) -> int:
    """The largest ``k`` in ``[low, high]`` with ``predicate(k)``, for a predicate
    that is true up to some point and false after; ``low`` if none is true.
    """
    while low < high:
        middle = (low + high + 1) // 2
        if predicate(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _cut_inside_first_word(atoms: list[_Atom], limit: int, length: Length, ellipsis: str) -> str:
    """The last resort when the first atom alone is over the limit."""
    if not atoms or atoms[0].kind != "word":
        return ellipsis
    clusters = list(graphemes(atoms[0].text))
    prefix = ""
    for cluster in clusters:
        if length(prefix + cluster + ellipsis) > limit:
            break
        prefix += cluster
    return prefix + ellipsis
