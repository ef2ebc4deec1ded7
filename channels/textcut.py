"""Measuring and cutting post text: X's weighted length and boundary-aware cuts.

Pure functions over ``str``. Two rules shape everything here:

* A user-perceived character (a grapheme cluster: 👍🏽, 👨‍👩‍👧, 🇨🇳, 1️⃣, é
  written as e + ◌́) is never split, and neither is a URL or a Latin word.
* Lengths are measured by a caller-supplied function, because channels count
  differently: most count code points (``len``), X weighs them
  (:func:`x_weighted_length`).

Grapheme clusters come from :mod:`publishing.graphemes`.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from channels.graphemes import EXTEND, PICT, PREPEND, RI, SPACING, ZWJ, break_property, graphemes

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

def find_urls(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` offsets of the URLs in ``text``, trailing punctuation excluded."""
    spans = []
    for match in URL_RE.finditer(text):
        start, end = match.span()
        if start and break_property(text[start - 1]) == PREPEND:
            continue  # the "h" belongs to the cluster before it
        while end > start and text[end - 1] in _URL_TRAILING:
            # Keep a closing parenthesis that closes one opened inside the URL.
            if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
                break
            end -= 1
        # A URL ends where a cluster ends: in "…/spring1️⃣" the keycap's marks
        # join the URL rather than leave the cluster split.
        while end < len(text) and break_property(text[end]) in (EXTEND, ZWJ, SPACING):
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
    if not any(break_property(ch) in (PICT, RI) for ch in cluster):
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
