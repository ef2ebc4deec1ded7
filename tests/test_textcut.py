"""Grapheme clusters, X's weighted length and boundary-aware cutting."""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.graphemes import grapheme_boundaries, graphemes
from channels.textcut import ELLIPSIS, cut_text, find_urls, x_weighted_length

TEA_ZH = (
    "明前龙井，春茶首发。今年的头采龙井已经到了！每一片都是手工炒制，香气清高，滋味鲜爽。"
    "Try it today: https://sharecast.example/r/ABC123 🍵✨👍🏽"
)
TEA_EN = (
    "Our first-flush Longjing has arrived. Every leaf is pan-fired by hand, "
    "so the aroma is bright and the taste is fresh! Order at https://brand.example/tea?x=1."
)

FAMILY = "👨\u200d👩\u200d👧"
THUMBS_MEDIUM = "👍🏽"
FLAG_CN = "🇨🇳"
KEYCAP_ONE = "1\ufe0f\u20e3"
RED_HEART = "\u2764\ufe0f"
E_ACUTE_DECOMPOSED = "e\u0301"
FLAG_ENGLAND = "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"


# --- grapheme clusters -------------------------------------------------------

@pytest.mark.parametrize("cluster", [
    FAMILY, THUMBS_MEDIUM, FLAG_CN, KEYCAP_ONE, RED_HEART, E_ACUTE_DECOMPOSED, FLAG_ENGLAND,
    "\r\n", "\u1100\u1161\u11a8",  # a Hangul syllable written as jamo
])
def test_emoji_sequences_and_combining_marks_are_one_cluster(cluster):
    assert list(graphemes("a" + cluster + "b")) == ["a", cluster, "b"]


def test_regional_indicators_pair_into_flags_left_to_right():
    us = "🇺🇸"
    assert list(graphemes(FLAG_CN + us + "🇯")) == [FLAG_CN, us, "🇯"]


def test_chinese_characters_are_each_their_own_cluster():
    assert list(graphemes("明前龙井")) == ["明", "前", "龙", "井"]


def test_a_zwj_between_non_emoji_does_not_join_them():
    assert list(graphemes("a\u200db")) == ["a\u200d", "b"]


@given(st.text())
def test_clusters_always_rejoin_to_the_text(text):
    assert "".join(graphemes(text)) == text


# --- X weighted length ---------------------------------------------------------

def test_x_counts_latin_once_and_chinese_twice():
    assert x_weighted_length("tea") == 3
    assert x_weighted_length("龙井") == 4
    assert x_weighted_length("明前龙井 tea") == 12


def test_x_counts_any_url_as_23():
    short = "https://a.cn"
    long = "https://brand.example/" + "x" * 200
    assert x_weighted_length(short) == 23
    assert x_weighted_length(long) == 23
    assert x_weighted_length(f"买 {long} 。") == 2 + 1 + 23 + 1 + 2


@pytest.mark.parametrize("emoji", [FAMILY, THUMBS_MEDIUM, FLAG_CN, KEYCAP_ONE, RED_HEART, "🍵", "✨"])
def test_x_counts_each_emoji_sequence_as_two(emoji):
    assert x_weighted_length(emoji) == 2


def test_x_weighting_ranges_follow_twitter_text():
    assert x_weighted_length("\u10ff") == 1  # last light code point of the first range
    assert x_weighted_length("\u1100") == 2
    assert x_weighted_length("\u2013\u201c\u2032") == 3  # dashes, quotes, primes are light
    assert x_weighted_length("\u2030") == 2  # per mille is not
    assert x_weighted_length("©") == 1


def test_x_normalises_before_counting():
    assert x_weighted_length(E_ACUTE_DECOMPOSED) == 1


def test_140_chinese_characters_fill_an_x_post():
    assert x_weighted_length("茶" * 140) == 280


# --- cut_text -------------------------------------------------------------------

def test_text_that_fits_comes_back_unchanged():
    assert cut_text(TEA_ZH, 500) == (TEA_ZH, False)


def test_chinese_is_cut_at_a_sentence_end_with_an_ellipsis():
    text, was_cut = cut_text(TEA_ZH, 30)
    assert was_cut
    assert text == "明前龙井，春茶首发。今年的头采龙井已经到了！…"


def test_a_full_stop_gives_way_to_the_ellipsis():
    assert cut_text(TEA_ZH, 12) == ("明前龙井，春茶首发…", True)


def test_a_clause_end_is_used_when_the_last_sentence_end_is_too_far_back():
    text = "春茶上新。" + "今年雨水充足，芽叶肥壮，香气高扬，滋味鲜醇，回甘持久" * 3
    cut, _ = cut_text(text, 40)
    assert cut.endswith("…")
    assert len(cut) <= 40
    assert len(cut) > 20  # did not fall back to "春茶上新…"
    assert cut[-2] not in "，"  # the comma is dropped, not doubled with the ellipsis
    assert text.startswith(cut[:-1])
    assert text[len(cut) - 1] == "，"  # the cut fell on a clause end


def test_english_is_never_cut_inside_a_word():
    for limit in range(4, len(TEA_EN)):
        cut, _ = cut_text(TEA_EN, limit)
        prefix = cut.removesuffix(ELLIPSIS)
        following = TEA_EN[len(prefix)]
        assert not (prefix[-1:].isalnum() and following.isalnum()), (limit, cut)


def test_a_hyphenated_word_and_a_decimal_stay_whole():
    assert cut_text("Buy first-flush tea", 12) == ("Buy…", True)
    assert cut_text("Only 3.5 grams left", 8) == ("Only…", True)


def test_a_url_is_left_out_rather_than_split():
    text = "See https://brand.example/spring-tea-collection for more"
    cut, _ = cut_text(text, 20)
    assert cut == "See…"


def test_a_url_never_ends_inside_a_cluster():
    text = "春茶https://例子.中国/spring1" + KEYCAP_ONE[1:] + "好"
    (span,) = find_urls(text)
    assert span[1] in grapheme_boundaries(text)
    assert text[span[0]:span[1]] == "https://例子.中国/spring1" + KEYCAP_ONE[1:]


def test_urls_exclude_trailing_punctuation_but_keep_balanced_parentheses():
    text = "见 https://a.cn/x_(y)。或 (https://b.cn/z). 还有 www.brand.example/tea!"
    assert [text[a:b] for a, b in find_urls(text)] == [
        "https://a.cn/x_(y)", "https://b.cn/z", "www.brand.example/tea"]


def test_an_emoji_sequence_is_never_split():
    text = "好茶" + FAMILY + THUMBS_MEDIUM + FLAG_CN + "一起喝"
    for limit in range(1, len(text)):
        cut, _ = cut_text(text, limit)
        prefix = cut.removesuffix(ELLIPSIS)
        assert len(prefix) in grapheme_boundaries(text), (limit, cut)


def test_the_x_length_is_respected_when_cutting():
    cut, was_cut = cut_text(TEA_ZH, 60, length=x_weighted_length)
    assert was_cut
    assert x_weighted_length(cut) <= 60
    assert cut == "明前龙井，春茶首发。今年的头采龙井已经到了！…"


def test_a_closing_quote_after_a_full_stop_ends_the_sentence():
    text = "她说：“这是今年最好的龙井。”然后又泡了一壶，慢慢地喝完了，还想再来一壶"
    cut, _ = cut_text(text, 20)
    assert cut == "她说：“这是今年最好的龙井。”…"


def test_the_ellipsis_is_left_out_when_it_alone_is_over_the_limit():
    assert cut_text("明前龙井", 1, ellipsis="……") == ("明", True)
    assert cut_text("明前龙井", 0) == ("", True)


def test_a_single_word_longer_than_the_limit_is_cut_between_letters():
    assert cut_text("supercalifragilistic", 10) == ("supercali…", True)


def test_a_negative_limit_is_refused():
    with pytest.raises(ValueError):
        cut_text("茶", -1)


# --- properties -----------------------------------------------------------------

PIECES = [
    "明前龙井", "春茶", "，", "。", "！", "？", "、", "：", "“", "”", "\n", " ",
    "Longjing", "first-flush", "tea", "3.5", "¥199.00", ".", ",", "!",
    "https://sc.example/r/ABC123", "www.brand.example/tea", "https://例子.中国/spring",
    "🍵", "✨", THUMBS_MEDIUM, FAMILY, FLAG_CN, KEYCAP_ONE, RED_HEART, E_ACUTE_DECOMPOSED,
    FLAG_ENGLAND,
]
copy_like = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=40).map("".join)
lengths = st.sampled_from([len, x_weighted_length])


def _is_one_spaced_word(text: str) -> bool:
    """Whether ``text`` is (part of) one word of a script written with spaces.

    Judged by each grapheme cluster's first character, so a letter or digit
    carrying marks or modifiers (even an emoji skin tone) still counts as one.
    """
    return all(
        (ch.isalnum() or ch in "'’.,-" or unicodedata.category(ch).startswith("M"))
        and not 0x2E80 <= ord(ch) <= 0xFAFF and ord(ch) < 0x20000
        for ch in (cluster[0] for cluster in graphemes(text))
    )


def _check_cut(text: str, limit: int, length) -> None:
    cut, was_cut = cut_text(text, limit, length)
    assert length(cut) <= limit
    if not was_cut:
        assert cut == text
        return
    prefix = cut.removesuffix(ELLIPSIS)
    assert text.startswith(prefix)
    end = len(prefix)
    assert end in grapheme_boundaries(text)
    for start, stop in find_urls(text):
        assert not start < end < stop, "cut inside a URL"
    inside_first_word = _is_one_spaced_word(prefix)  # the documented last resort
    if 0 < end < len(text) and not inside_first_word:
        assert not (text[end - 1].isascii() and text[end - 1].isalnum()
                    and text[end].isascii() and text[end].isalnum()), "cut inside a word"


@settings(max_examples=300, deadline=None)
@given(copy_like, st.integers(min_value=0, max_value=120), lengths)
def test_cuts_of_copy_fit_and_respect_every_boundary(text, limit, length):
    _check_cut(text, limit, length)


@settings(max_examples=300, deadline=None)
@given(st.text(), st.integers(min_value=0, max_value=40), lengths)
def test_cuts_of_any_text_fit_and_never_split_a_cluster(text, limit, length):
    _check_cut(text, limit, length)


def test_a_word_whose_digit_carries_a_skin_tone_is_still_cut_as_one_word():
    # Found by Hypothesis: the cut falls inside the only word, which is the documented last resort.
    cut, was_cut = cut_text("Longjing0🏻000", 12, len)
    assert was_cut and cut == "Longjing0🏻0…"
    _check_cut("Longjing0🏻000", 12, len)
