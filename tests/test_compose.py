"""Per-channel post text: limits, hashtags, prices, links and the sharer's voice."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from decimal import Decimal

import pytest

import channels
from channels import get_channel
from channels.compose import ascii_url, compose, format_price
from channels.content import MasterContent, SharerVoice
from channels.textcut import find_urls, x_weighted_length

TEA_BODY_ZH = (
    "今年的明前龙井终于到了！🍵✨ 茶园在西湖龙井村，清明前采摘一芽一叶，"
    "每一片都由老师傅手工炒制，香气清高，滋味鲜爽，回甘悠长。"
    "Longjing green tea, first flush, hand-fired. 冲泡建议：80℃的水，玻璃杯，三克茶叶。"
    "喝过的朋友都说好👍🏽！"
)
TEA_BODY_EN = (
    "Our first-flush Longjing has arrived! 🍵 Picked before Qingming in the hills "
    "around West Lake, every leaf is pan-fired by hand, so the aroma is bright and "
    "the taste is fresh. Brew it at 80°C in a glass."
)
SHORT_BODY_ZH = "今年的明前龙井到了！🍵✨ 手工炒制，香气清高。"
SHORT_BODY_EN = "Our first-flush Longjing has arrived! 🍵 Pan-fired by hand."
LANDING = "https://brand.example/tea/longjing"
SELLER_LINK = "https://sc.example/r/MEI888"


def tea_zh(**changes) -> MasterContent:
    content = MasterContent(
        title="明前龙井 · 春茶首发",
        body=TEA_BODY_ZH,
        price=Decimal("199"),
        currency="CNY",
        original_price=Decimal("299"),
        hashtags=("明前龙井", "春茶 上新", "#明前龙井#", "西湖"),
        brand_name="西湖茶社",
        call_to_action="立即抢购",
        landing_url=LANDING,
        language="zh-CN",
    )
    return replace(content, **changes)


def tea_en(**changes) -> MasterContent:
    content = MasterContent(
        title="First-flush Longjing is here",
        body=TEA_BODY_EN,
        price=Decimal("29.9"),
        currency="USD",
        original_price=Decimal("39"),
        hashtags=("Longjing", "green tea", "longjing"),
        brand_name="West Lake Tea",
        call_to_action="Order now",
        landing_url=LANDING,
        language="en",
    )
    return replace(content, **changes)


SELLER = SharerVoice(name="小美", link=SELLER_LINK, code="MEI888")

ALL_CHANNELS = channels.channel_ids()
QR_CHANNELS = [c for c in ALL_CHANNELS if get_channel(c).spec.link_policy == "qr_only"]
CLICKABLE_CHANNELS = [c for c in ALL_CHANNELS if get_channel(c).spec.link_policy in ("clickable", "no_cjk_url")]
PERSONAL_CHANNELS = [c for c in ALL_CHANNELS if get_channel(c).spec.personal_voice]
LIMITED_CHANNELS = [c for c in ALL_CHANNELS if get_channel(c).spec.text_limit is not None]


def post_for(channel_id, content, voice=None):
    return get_channel(channel_id).compose(content, voice)


# --- every channel ----------------------------------------------------------------

@pytest.mark.parametrize("channel_id", ALL_CHANNELS)
@pytest.mark.parametrize("content", [tea_zh(body=SHORT_BODY_ZH), tea_en(title="Spring Longjing", body=SHORT_BODY_EN)], ids=["zh", "en"])
@pytest.mark.parametrize("voice", [None, SELLER], ids=["brand", "seller"])
def test_every_channel_writes_short_copy_whole_and_warning_free(channel_id, content, voice):
    post = post_for(channel_id, content, voice)
    spec = get_channel(channel_id).spec
    assert post.channel == channel_id
    assert post.warnings == ()
    assert content.body in post.text
    if spec.text_limit is not None:
        assert spec.measure(post.text) <= spec.text_limit
    json.dumps(post.to_json())


@pytest.mark.parametrize("channel_id", LIMITED_CHANNELS)
@pytest.mark.parametrize("make", [tea_zh, tea_en], ids=["zh", "en"])
def test_long_copy_is_cut_to_every_channels_limit_keeping_price_link_and_tags(channel_id, make):
    long_body = "\n".join([make().body] * 200)
    content = make(body=long_body)
    post = post_for(channel_id, content, SELLER)
    spec = get_channel(channel_id).spec
    assert spec.measure(post.text) <= spec.text_limit
    assert "text_cut" in post.warning_codes
    assert "…" in post.text
    assert format_price(content.price, content.currency) in post.text
    if spec.link_policy == "clickable":
        assert post.text.count(SELLER_LINK) == 1
    for tag in post.hashtags:
        assert post.text.endswith(tag) or tag in post.text.splitlines()[-1]


# --- prices -----------------------------------------------------------------------

def test_chinese_copy_shows_the_brand_price_and_the_original_price():
    post = post_for("weibo", tea_zh())
    assert "¥199.00（原价¥299.00）" in post.text


def test_english_copy_says_was_for_the_original_price():
    post = post_for("facebook", tea_en())
    assert "$29.90 (was $39.00)" in post.text


def test_an_original_price_that_is_no_saving_is_not_shown():
    post = post_for("weibo", tea_zh(original_price=Decimal("199")))
    assert "原价" not in post.text
    assert "original_price_ignored" in post.warning_codes


def test_a_price_in_the_body_that_is_not_the_campaign_price_is_flagged():
    post = post_for("weibo", tea_zh(body="限时特价只要¥99！" + TEA_BODY_ZH))
    assert "price_mismatch" in post.warning_codes
    assert "¥199.00" in post.text


@pytest.mark.parametrize(("amount", "currency", "shown"), [
    (Decimal("199"), "CNY", "¥199.00"),
    (Decimal("1299.5"), "CNY", "¥1,299.50"),
    (Decimal("1980"), "JPY", "¥1,980"),
    (Decimal("29.905"), "USD", "$29.91"),
    (Decimal("12"), "CHF", "CHF 12.00"),
])
def test_prices_are_written_with_the_currency_and_its_minor_unit(amount, currency, shown):
    assert format_price(amount, currency) == shown


# --- links --------------------------------------------------------------------------

@pytest.mark.parametrize("channel_id", QR_CHANNELS)
def test_where_links_are_not_clickable_the_text_points_to_the_qr_and_code_word(channel_id):
    post = post_for(channel_id, tea_zh(), SELLER)
    assert find_urls(post.text) == []
    assert "http" not in post.text
    assert "二维码" in post.text
    assert "口令 MEI888" in post.text
    assert post.link == SELLER.qr_target
    assert post.warnings == ()


def test_moments_asks_buyers_to_long_press_the_poster_qr():
    post = post_for("wechat_moments", tea_zh(), SELLER)
    assert "立即抢购：长按识别海报二维码，或留言口令 MEI888" in post.text


def test_xiaohongshu_points_past_the_qr_free_first_image():
    post = post_for("xiaohongshu", tea_zh(), SELLER)
    assert "扫描后面图片中的二维码" in post.text


def test_english_qr_channels_ask_to_scan_or_quote_the_code():
    post = post_for("instagram", tea_en(), SELLER)
    assert "Order now: Scan the QR code on the poster or comment with code MEI888" in post.text


def test_the_qr_carries_the_sharers_own_payload_when_they_have_one():
    voice = replace(SELLER, qr_payload="https://sc.example/r/MEI888?src=qr")
    assert post_for("wechat_moments", tea_zh(), voice).link == "https://sc.example/r/MEI888?src=qr"


@pytest.mark.parametrize("channel_id", QR_CHANNELS)
def test_urls_in_the_body_are_removed_where_links_are_not_clickable(channel_id):
    content = tea_zh(body="详情见 https://brand.example/story 。" + TEA_BODY_ZH)
    post = post_for(channel_id, content, SELLER)
    assert "http" not in post.text
    assert "详情见。" in post.text
    assert "body_url_removed" in post.warning_codes


@pytest.mark.parametrize("channel_id", CLICKABLE_CHANNELS)
def test_clickable_channels_carry_the_sellers_link_or_else_the_landing_page(channel_id):
    assert SELLER_LINK in post_for(channel_id, tea_zh(), SELLER).text
    brand_post = post_for(channel_id, tea_zh())
    assert LANDING in brand_post.text
    assert brand_post.link == LANDING


def test_the_official_account_keeps_its_one_link_for_read_original():
    post = post_for("wechat_official", tea_zh(), SELLER)
    assert post.link == SELLER_LINK
    assert "http" not in post.text
    assert "点击「阅读原文」" in post.text


def test_qq_zone_urls_hold_no_chinese_characters():
    content = tea_zh(
        landing_url="https://例子.中国/龙井?活动=春茶",
        body="更多故事：https://例子.中国/story 。" + TEA_BODY_ZH,
    )
    post = post_for("qzone", content)
    urls = [post.text[start:end] for start, end in find_urls(post.text)]
    assert urls == ["https://xn--fsqu00a.xn--fiqs8s/story", ascii_url(content.landing_url)]
    assert all(url.isascii() for url in urls)
    assert post.link.isascii()


def test_no_landing_url_means_no_link_and_a_warning():
    post = post_for("weibo", tea_zh(landing_url=""))
    assert post.link is None
    assert "no_link" in post.warning_codes


# --- the sharer's voice -------------------------------------------------------------

@pytest.mark.parametrize("channel_id", PERSONAL_CHANNELS)
def test_personal_channels_open_with_the_marketers_line_for_sellers(channel_id):
    opener = "今年的新茶到了，我先替大家尝过："
    assert post_for(channel_id, tea_zh(seller_opener=opener), SELLER).text.startswith(opener)
    assert post_for(channel_id, tea_en(seller_opener="Tasted it first for you:"), SELLER).text.startswith(
        "Tasted it first for you:")


@pytest.mark.parametrize("channel_id", PERSONAL_CHANNELS)
def test_without_an_opener_a_sellers_post_opens_with_the_product(channel_id):
    text = post_for(channel_id, tea_zh(), SELLER).text
    assert "我在用" not in text and "推荐给大家" not in text


@pytest.mark.parametrize("channel_id", [c for c in ALL_CHANNELS if c not in PERSONAL_CHANNELS])
def test_brand_channels_do_not_speak_as_the_seller(channel_id):
    text = post_for(channel_id, tea_zh(seller_opener="我先替大家尝过："), SELLER).text
    assert "我先替大家尝过" not in text


def test_without_a_voice_a_personal_channel_posts_as_the_brand():
    assert "我先替大家尝过" not in post_for("weibo", tea_zh(seller_opener="我先替大家尝过：")).text


# --- hashtags ------------------------------------------------------------------------

def test_weibo_topics_are_closed_by_a_second_hash():
    post = post_for("weibo", tea_zh())
    assert post.hashtags == ("#明前龙井#", "#春茶上新#", "#西湖#")
    assert post.text.endswith("#明前龙井# #春茶上新# #西湖#")


@pytest.mark.parametrize("channel_id", ["x", "xiaohongshu", "instagram", "telegram", "douyin"])
def test_other_channels_write_hash_tags_deduplicated_and_without_spaces(channel_id):
    assert post_for(channel_id, tea_zh()).hashtags == ("#明前龙井", "#春茶上新", "#西湖")
    assert post_for(channel_id, tea_en()).hashtags == ("#Longjing", "#greentea")


@pytest.mark.parametrize("channel_id", ["wechat_official", "email", "whatsapp"])
def test_channels_without_hashtags_leave_them_out(channel_id):
    post = post_for(channel_id, tea_zh())
    assert post.hashtags == ()
    assert "#" not in post.text


def test_instagram_keeps_thirty_hashtags_and_says_so():
    content = tea_en(hashtags=tuple(f"tea{i}" for i in range(35)))
    post = post_for("instagram", content)
    assert len(post.hashtags) == 30
    assert post.hashtags[-1] == "#tea29"
    assert "too_many_hashtags" in post.warning_codes


def test_hashtags_give_way_when_even_an_empty_body_does_not_fit():
    content = tea_zh(hashtags=tuple(f"明前龙井春茶首发第{i}号" for i in range(20)))
    post = post_for("x", content)
    assert x_weighted_length(post.text) <= 280
    assert "hashtags_dropped" in post.warning_codes
    assert "#" not in post.text
    assert LANDING in post.text


# --- titles, summaries and captions -------------------------------------------------

def test_xiaohongshu_titles_are_cut_to_twenty():
    content = tea_zh(title="明前龙井 · 春茶首发，西湖龙井村老师傅手工炒制限量礼盒")
    post = post_for("xiaohongshu", content)
    assert len(post.title) <= 20
    assert post.title.endswith("…")
    assert "title_cut" in post.warning_codes


def test_english_titles_are_cut_between_words():
    post = post_for("xiaohongshu", tea_en())
    assert post.title == "First-flush…"  # "First-flush Longjing…" would be 21


def test_the_official_account_has_a_title_a_summary_and_a_long_body():
    content = tea_zh(body="\n".join([TEA_BODY_ZH] * 300))
    post = post_for("wechat_official", content)
    assert post.title == "明前龙井 · 春茶首发"
    assert len(post.summary) <= 128
    assert post.summary.startswith("今年的明前龙井终于到了！")
    assert len(post.text) < 20_000
    assert "text_cut" in post.warning_codes


def test_channels_without_a_title_field_open_the_text_with_the_title():
    assert post_for("weibo", tea_zh()).text.startswith("【明前龙井 · 春茶首发】")
    assert post_for("weibo", tea_zh()).title is None
    assert post_for("x", tea_en()).text.startswith("First-flush Longjing is here")


def test_x_counts_chinese_twice_and_links_as_23():
    content = tea_zh(body=TEA_BODY_ZH * 3)
    post = post_for("x", content, SELLER)
    assert x_weighted_length(post.text) <= 280
    assert len(post.text) < 280  # Chinese counts double, so far fewer characters fit
    assert SELLER_LINK in post.text
    assert "text_cut" in post.warning_codes


def test_telegram_has_a_caption_within_1024_for_photos():
    content = tea_zh(body="\n".join([TEA_BODY_ZH] * 12))
    post = post_for("telegram", content, SELLER)
    assert len(post.caption) <= 1024
    assert len(post.text) > 1024
    assert SELLER_LINK in post.caption
    assert "caption_cut" in post.warning_codes


def test_email_subject_is_the_title_and_the_body_is_uncut():
    content = tea_en(body="\n\n".join([TEA_BODY_EN] * 100))
    post = post_for("email", content)
    assert post.title == "First-flush Longjing is here"
    assert content.body in post.text
    assert post.warnings == ()


def test_a_webhook_gets_the_whole_post():
    content = tea_zh(body="\n".join([TEA_BODY_ZH] * 200))
    post = post_for("webhook", content, SELLER)
    assert content.body in post.text
    assert post.title == "明前龙井 · 春茶首发"
    assert post.hashtags == ("#明前龙井", "#春茶上新", "#西湖")
    assert post.warnings == ()


def test_compose_takes_a_spec_directly():
    post = compose(get_channel("weibo").spec, tea_zh(), SELLER)
    assert post == post_for("weibo", tea_zh(), SELLER)


def test_warnings_are_machine_readable_with_a_message():
    post = post_for("x", tea_zh(body=TEA_BODY_ZH * 5))
    (warning,) = post.to_json()["warnings"]
    assert warning["code"] == "text_cut"
    assert re.search(r"280", warning["message"])
