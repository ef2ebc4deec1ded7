"""Forum kits (Zhihu answers and articles, Zhihu pins, Baidu Tieba, Douban groups): long-form posts
built from the whole body and the product facts, within each forum's limits, in both languages."""
from __future__ import annotations

import html
import io
from decimal import Decimal

import pytest
import zxingcpp
from conftest import CAMPAIGN, seller_pages
from PIL import Image
from test_compose import LANDING, SELLER, SELLER_LINK, tea_en, tea_zh
from test_scheduling import _live

from channels import get_channel
from channels.content import ProductLine
from channels.textcut import find_urls

FORUMS = ["zhihu", "tieba", "douban_group"]
# A real answer's worth of Chinese: a few thousand characters in paragraphs.
PARAGRAPHS_ZH = [
    "先说结论：如果你平时喝绿茶，明前龙井值得买一次，但要知道自己在买什么。",
    "我在杭州住了六年，每年清明前都会去龙井村收一点茶。明前茶是清明之前采摘的一芽一叶，产量少，"
    "所以价格比雨前茶高不少。好的明前龙井干茶扁平光滑，色泽嫩绿带一点糙米黄，闻起来有豆香。",
    "冲泡的时候不要用沸水，八十度左右最合适，玻璃杯下投法，三克茶配一百五十毫升水。"
    "第一泡一分钟就可以出汤，之后每泡多加二十秒。",
    "我卖这款茶，所以下面的信息你可以当作广告看；但上面的经验都是真的，买不买都可以参考。",
]
LONG_BODY_ZH = "\n\n".join(PARAGRAPHS_ZH * 12)  # about 2,500 characters


@pytest.mark.parametrize("channel_id", FORUMS)
def test_a_forum_post_keeps_the_whole_body_and_ends_with_the_product_facts(channel_id):
    post = get_channel(channel_id).compose(tea_zh(body=LONG_BODY_ZH, badges=("包邮", "赠品")), SELLER)
    spec = get_channel(channel_id).spec
    assert len(LONG_BODY_ZH) > 2000 and LONG_BODY_ZH in post.text  # nothing cut
    assert "text_cut" not in post.warning_codes and spec.measure(post.text) <= spec.text_limit
    facts = post.text.split(LONG_BODY_ZH, 1)[1]
    assert "【商品信息】\n· 明前龙井 · 春茶首发：¥199.00（原价¥299.00）\n· 包邮、赠品" in facts
    assert post.text.count("¥199.00") == 1  # the facts carry the price; no second price line
    assert post.title == "明前龙井 · 春茶首发" and post.hashtags == ()
    assert "#" not in post.text  # topics are chosen on the forum, not written in the text


def test_the_facts_list_every_product_of_a_bundle_at_the_brands_price():
    content = tea_zh(products=(ProductLine("明前龙井 100g", Decimal("199"), Decimal("299")),
                               ProductLine("白瓷盖碗", Decimal("59.5"))))
    text = get_channel("douban_group").compose(content, SELLER).text
    assert "· 明前龙井 100g：¥199.00（原价¥299.00）\n· 白瓷盖碗：¥59.50" in text


def test_links_follow_each_forums_policy():
    zhihu = get_channel("zhihu").compose(tea_zh(), SELLER)
    assert zhihu.text.endswith(f"立即抢购：{SELLER_LINK}") and zhihu.link == SELLER_LINK
    # Tieba's bars delete links: none in the text, even one the marketer wrote; the QR poster and the
    # code word carry the way in.
    tieba = get_channel("tieba").compose(tea_zh(body=f"详情见 {LANDING} 。\n\n{LONG_BODY_ZH}"), SELLER)
    assert find_urls(tieba.text) == [] and "body_url_removed" in tieba.warning_codes
    assert tieba.text.endswith("立即抢购：长按识别海报二维码，或留言口令 MEI888")
    assert "详情见。" in tieba.text


def test_a_long_title_is_cut_to_the_forums_title_limit():
    title = "杭州龙井村明前龙井 2026 春茶首发：一芽一叶手工炒制，老茶农三十年手艺，限量五百份"
    for channel_id, limit in [("tieba", 30), ("douban_group", 60), ("zhihu", 100)]:
        post = get_channel(channel_id).compose(tea_zh(title=title), SELLER)
        assert len(post.title) <= limit
        assert ("title_cut" in post.warning_codes) == (len(title) > limit)


def test_a_body_beyond_the_forums_limit_is_cut_but_the_facts_and_link_stay():
    huge = "\n\n".join(PARAGRAPHS_ZH * 60)  # about 12,000 characters
    for channel_id, way_in in [("tieba", "留言口令 MEI888"), ("douban_group", SELLER_LINK)]:
        spec = get_channel(channel_id).spec
        post = get_channel(channel_id).compose(tea_zh(body=huge), SELLER)
        assert len(huge) > spec.text_limit >= spec.measure(post.text) > spec.text_limit - 200
        assert "text_cut" in post.warning_codes
        assert "【商品信息】\n· 明前龙井 · 春茶首发：¥199.00" in post.text and post.text.endswith(way_in)


def test_a_zhihu_pin_is_a_short_post_cut_to_its_thousand_characters():
    post = get_channel("zhihu_pin").compose(tea_zh(body=LONG_BODY_ZH), SELLER)
    assert len(post.text) <= 1000 and "text_cut" in post.warning_codes
    assert post.text.startswith("【明前龙井 · 春茶首发】") and "【商品信息】" not in post.text
    assert "¥199.00（原价¥299.00）" in post.text and post.text.endswith(SELLER_LINK)


def test_an_english_forum_post_speaks_english():
    post = get_channel("zhihu").compose(tea_en(badges=("Free shipping",)), SELLER)
    assert "The product\n- First-flush Longjing is here: $29.90 (was $39.00)\n- Free shipping" in post.text


def test_without_a_title_the_facts_still_carry_the_price():
    post = get_channel("douban_group").compose(tea_zh(title=""), SELLER)
    assert "【商品信息】\n· ¥199.00（原价¥299.00）" in post.text


# --- in the seller's library ------------------------------------------------------------------

def test_forum_kits_reach_the_sellers_library_with_their_title_images_and_rules(app, owner, make_sharer):
    body = {**CAMPAIGN, "body": LONG_BODY_ZH, "channels": ["zhihu", "zhihu_pin", "tieba", "douban_group"]}
    created = owner.post("/api/v1/campaigns", body)
    assert created.status_code == 201, created.json
    sharer = make_sharer("小林")
    _live(app, owner, created.json["id"], "zhihu", "zhihu_pin", "tieba", "douban_group")
    items = {i["channel"]: i for i in owner.get("/api/v1/library", key=sharer["api_key"]).json["items"]}
    assert set(items) == {"zhihu", "zhihu_pin", "tieba", "douban_group"}
    client = app.test_client()
    for channel_id, item in items.items():
        spec = get_channel(channel_id).spec
        assert len(item["text"]) <= spec.text_limit
        if spec.long_form:
            assert LONG_BODY_ZH in item["text"] and "【商品信息】" in item["text"]
        sizes = {(s.width, s.height) for s in spec.image_sizes}
        assert item["images"] and len(item["images"]) <= spec.max_images
        for image in item["images"]:
            assert (image["width"], image["height"]) in sizes
            res = client.get(image["url"].split("sharecast.test", 1)[-1])
            assert res.status_code == 200
            picture = Image.open(io.BytesIO(res.data))
            assert picture.size == (image["width"], image["height"])
            if image.get("kind") == "poster":  # the seller's own link in a code that scans
                assert [r.text for r in zxingcpp.read_barcodes(picture)] != []
    assert all(any(i.get("kind") == "poster" for i in item["images"]) for item in items.values())
    assert items["tieba"]["title"] == CAMPAIGN["title"] and find_urls(items["tieba"]["text"]) == []

    page = seller_pages(app, sharer["id"])
    zh = html.unescape(page.get("/seller/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True))
    assert "百度贴吧" in zh and "豆瓣小组" in zh and "知乎想法" in zh and "吧规" in zh and "组规" in zh
    en = html.unescape(page.get("/seller/", headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert "Baidu Tieba" in en and "Douban group" in en and "Read the group's rules" in en
