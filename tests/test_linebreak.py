"""Chinese and Latin line breaking: kinsoku rules, whole words, whole emoji."""
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from channels.graphemes import graphemes
from publishing.render import linebreak
from publishing.render.linebreak import NO_LINE_END, NO_LINE_START, is_wide, truncate, wrap


def cells(text: str) -> float:
    """A font-free width: wide clusters take two cells, everything else one."""
    return sum(2 if is_wide(c) else 1 for c in graphemes(text))


def assert_kinsoku(lines: list[str]) -> None:
    for line in lines[1:]:
        assert line[0] not in NO_LINE_START, lines
    for line in lines:
        assert line[-1] not in NO_LINE_END, lines


def test_chinese_breaks_between_characters_and_fits():
    lines = wrap("西湖产区明前头采一芽一叶豆香清雅每一口都是今年的第一口春天", 16, cells)
    assert len(lines) > 1
    assert all(cells(line) <= 16 for line in lines)
    assert "".join(lines) == "西湖产区明前头采一芽一叶豆香清雅每一口都是今年的第一口春天"


def test_no_line_starts_with_closing_punctuation():
    # Width 8 = four characters: "今年春天" fits, but the comma may not start
    # the next line, so "天" moves down with it.
    lines = wrap("今年春天，第一口茶。真好！", 8, cells)
    assert_kinsoku(lines)
    assert lines[:2] == ["今年春", "天，第一"]


def test_no_line_ends_with_opening_punctuation():
    lines = wrap("明前龙井「限量」发售《茶经》", 10, cells)
    assert_kinsoku(lines)
    assert all(cells(line) <= 10 for line in lines)


def test_ellipsis_and_dash_pairs_stay_together():
    lines = wrap("好茶需要慢慢品……真的——很香", 12, cells)
    assert_kinsoku(lines)
    assert not any(line.startswith("…") or line.startswith("—") for line in lines)
    assert any("……" in line for line in lines)


def test_latin_words_are_never_split():
    text = "First-flush Dragon Well green tea, hand-picked before Qingming"
    lines = wrap(text, 20, cells)
    assert " ".join(lines) == text
    assert all(cells(line) <= 20 for line in lines)


def test_mixed_text_keeps_words_and_numbers_whole():
    lines = wrap("新茶 iPhone15 礼盒装 250g，顺丰包邮", 12, cells)
    joined = " ".join(lines)
    assert "iPhone15" in joined and "250g，" in joined
    assert_kinsoku(lines)


def test_a_word_wider_than_the_line_is_split_as_last_resort():
    lines = wrap("supercalifragilisticexpialidocious", 10, cells)
    assert "".join(lines) == "supercalifragilisticexpialidocious"
    assert all(cells(line) <= 10 for line in lines)


def test_grapheme_clusters_never_split():
    family, thumb, flag, keycap = "👨\u200d👩\u200d👧", "👍🏽", "🇨🇳", "1️⃣"
    assert list(graphemes(family + thumb + flag + keycap)) == [family, thumb, flag, keycap]
    lines = wrap((family + thumb + flag) * 4, 3, cells)
    for line in lines:
        assert line in (family, thumb, flag)


def test_currency_sign_stays_with_its_amount():
    lines = wrap("限时价¥128元", 7, cells)
    assert not any(line.endswith("¥") for line in lines)


def test_explicit_newlines_start_new_lines_and_blank_text_gives_no_lines():
    assert wrap("第一行\n第二行", 100, cells) == ["第一行", "第二行"]
    assert wrap("   ", 10, cells) == []


def test_truncate_drops_whole_words_then_adds_an_ellipsis():
    assert truncate("gift box with two porcelain cups", 30, cells) == "gift box with two porcelain…"
    cut = truncate("明前龙井春茶首发今年的第一口春天", 10, cells)
    assert cut.endswith("…") and cells(cut) <= 10


def test_truncate_never_leaves_an_opening_bracket_before_the_ellipsis():
    cut = truncate("明前龙井「春茶首发」", 12, cells)
    assert not cut[:-1].endswith("「")
    assert cells(cut) <= 12


TEXT = st.lists(
    st.sampled_from(list("明前龙井春茶首发西湖一芽叶豆香") + list("，。！？、：；）」》“（「《…") + ["tea", "Dragon", "🍵", "👍🏽", " "]),
    min_size=1,
    max_size=60,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(TEXT, st.integers(min_value=6, max_value=40))
def test_any_mix_fits_keeps_its_text_and_obeys_kinsoku(text, width):
    units = linebreak._units(text)
    assume(all(cells(unit) <= width for unit, _ in units))
    lines = wrap(text, width, cells)
    assert all(cells(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    stripped = text.strip()
    # Only the text's own first and last characters may break the rules.
    for line in lines[1:]:
        assert line[0] not in NO_LINE_START, lines
    for line in lines[:-1]:
        assert line[-1] not in NO_LINE_END, lines
    if lines and stripped[-1] not in NO_LINE_END:
        assert lines[-1][-1] not in NO_LINE_END
