"""The channel registry and the specs it holds, checked against CHANNELS.md."""
from __future__ import annotations

import json
from dataclasses import fields

import pytest

import channels
from channels import REGISTRY, channel_ids, get_channel, specs
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

EXPECTED_IDS = [
    "wechat_moments", "wechat_official", "weibo", "qzone", "xiaohongshu", "douyin",
    "zhihu", "zhihu_pin", "tieba", "douban_group", "x", "facebook", "instagram", "linkedin", "mastodon", "bluesky", "telegram", "whatsapp", "email", "webhook",
]


def test_the_registry_lists_every_channel_once_by_its_own_id():
    assert channel_ids() == EXPECTED_IDS
    for channel_id, channel in REGISTRY.items():
        assert isinstance(channel, Channel)
        assert channel.id == channel.spec.id == channel_id


def test_an_unknown_channel_is_a_key_error():
    with pytest.raises(KeyError, match="myspace"):
        get_channel("myspace")


def test_specs_are_json_for_the_channels_endpoint():
    payload = json.loads(json.dumps([spec.to_json() for spec in specs()]))
    assert [item["id"] for item in payload] == EXPECTED_IDS
    weibo = payload[EXPECTED_IDS.index("weibo")]
    assert weibo["hashtag_style"] == "weibo"
    assert weibo["image_sizes"][0] == {"role": "feed", "width": 1080, "height": 1080}
    assert set(weibo) == {f.name for f in fields(ChannelSpec)}


# (id, text, title, summary, caption) limits from CHANNELS.md.
LIMITS = [
    ("wechat_official", 19_999, 32, 128, None),
    ("weibo", 2000, None, None, None),
    ("qzone", 600, 200, None, None),
    ("xiaohongshu", 1000, 20, None, None),
    ("zhihu", 20_000, 100, None, None),
    ("zhihu_pin", 1000, None, None, None),
    ("tieba", 10_000, 30, None, None),
    ("douban_group", 10_000, 60, None, None),
    ("x", 280, None, None, None),
    ("facebook", 5000, None, None, None),
    ("instagram", 2200, None, None, None),
    ("linkedin", 3000, None, None, None),
    ("mastodon", 500, None, None, None),
    ("bluesky", 300, None, None, None),
    ("telegram", 4096, None, None, 1024),
    ("whatsapp", 1024, None, None, 1024),
    ("webhook", None, None, None, None),
]


@pytest.mark.parametrize(("channel_id", "text", "title", "summary", "caption"), LIMITS)
def test_text_limits_match_the_channel_table(channel_id, text, title, summary, caption):
    spec = get_channel(channel_id).spec
    assert (spec.text_limit, spec.title_limit, spec.summary_limit, spec.caption_limit) == (
        text, title, summary, caption)


@pytest.mark.parametrize(("channel_id", "max_images", "size"), [
    ("wechat_moments", 9, ImageSize("poster", 1080, 1440)),
    ("wechat_official", 1, ImageSize("cover", 900, 383)),
    ("weibo", 9, ImageSize("portrait", 1080, 1350)),
    ("qzone", 9, ImageSize("feed", 1080, 1080)),
    ("xiaohongshu", 18, ImageSize("feed", 1080, 1440)),
    ("douyin", 1, ImageSize("cover", 1080, 1920)),
    ("zhihu", 30, ImageSize("cover", 1280, 720)),
    ("zhihu_pin", 9, ImageSize("feed", 1080, 1080)),
    ("tieba", 10, ImageSize("poster", 1080, 1440)),
    ("douban_group", 20, ImageSize("poster", 1080, 1440)),
    ("x", 4, ImageSize("feed", 1600, 900)),
    ("facebook", 10, ImageSize("feed", 1200, 630)),
    ("instagram", 10, ImageSize("story", 1080, 1920)),
    ("linkedin", 9, ImageSize("feed", 1200, 627)),
    ("telegram", 10, ImageSize("photo", 1280, 1280)),
    ("whatsapp", 1, ImageSize("photo", 1080, 1080)),
    ("email", None, ImageSize("inline", 1200, None)),
])
def test_image_counts_and_sizes_match_the_channel_table(channel_id, max_images, size):
    spec = get_channel(channel_id).spec
    assert spec.max_images == max_images
    assert size in spec.image_sizes


def test_links_travel_in_the_qr_code_where_they_are_not_clickable():
    qr_only = {s.id for s in specs() if s.link_policy == "qr_only"}
    assert qr_only == {"wechat_moments", "instagram", "xiaohongshu", "douyin", "tieba"}
    assert get_channel("qzone").spec.link_policy == "no_cjk_url"
    assert get_channel("wechat_official").spec.link_policy == "one_link"


def test_personal_channels_are_the_sellers_own_feeds():
    personal = {s.id for s in specs() if s.personal_voice}
    assert personal == {"wechat_moments", "xiaohongshu", "weibo", "qzone", "whatsapp", "telegram",
                        "zhihu", "zhihu_pin", "tieba", "douban_group"}


def test_only_xiaohongshu_needs_a_qr_free_first_image():
    assert [s.id for s in specs() if s.first_image_no_qr] == ["xiaohongshu"]


def test_only_x_weighs_its_characters():
    assert [s.id for s in specs() if s.weighted_length] == ["x"]
    assert get_channel("x").spec.measure("龙井 https://a.cn") == 4 + 1 + 23
    assert get_channel("weibo").spec.measure("龙井 https://a.cn") == len("龙井 https://a.cn")


def test_instagram_caps_hashtags_at_thirty():
    assert get_channel("instagram").spec.max_hashtags == 30


def test_kits_are_for_chinese_social_channels_and_apis_for_the_rest():
    kits = {s.id for s in specs() if s.publish_kind == "kit"}
    assert kits == {"wechat_moments", "wechat_official", "weibo", "qzone", "xiaohongshu", "douyin", "whatsapp",
                    "zhihu", "zhihu_pin", "tieba", "douban_group"}


def test_secondary_source_figures_are_marked_unconfirmed():
    assert "text_limit" in get_channel("wechat_moments").spec.unconfirmed
    assert {"title_limit", "text_limit"} <= set(get_channel("xiaohongshu").spec.unconfirmed)
    assert "text_limit" in get_channel("douyin").spec.unconfirmed
    assert get_channel("x").spec.unconfirmed == ("timeline_width",)
    # No forum publishes its length or image figures.
    for forum in ("zhihu", "zhihu_pin", "tieba", "douban_group"):
        assert {"text_limit", "max_images", "image_sizes"} <= set(get_channel(forum).spec.unconfirmed)


def test_forums_are_long_form_and_say_how_to_post_there_in_both_languages():
    assert {s.id for s in specs() if s.long_form} == {"zhihu", "tieba", "douban_group"}
    for forum in ("zhihu", "zhihu_pin", "tieba", "douban_group"):
        spec = get_channel(forum).spec
        assert spec.tone and spec.tone_zh and spec.name_zh and spec.in_library
        assert spec.hashtag_style == "none"
    assert "吧规" in get_channel("tieba").spec.tone_zh and "组规" in get_channel("douban_group").spec.tone_zh


@pytest.mark.parametrize("bad", [
    {"hashtag_style": "tumblr"},
    {"link_policy": "sometimes"},
    {"publish_kind": "fax"},
    {"weighted_length": "weibo"},
    {"text_limit": 0},
    {"unconfirmed": ("colour",)},
])
def test_a_spec_with_an_unknown_value_is_refused(bad):
    with pytest.raises(ValueError):
        ChannelSpec(**{"id": "test", "name": "Test", "name_zh": "测试", "text_limit": 100, **bad})


def test_the_email_channel_does_not_shadow_the_standard_library():
    import email
    import email.message

    assert email.message.EmailMessage
    assert channels.email.SPEC.id == "email"
