"""Zhihu 知乎: an answer to a question or a column article (long-form), and a short 想法 (pin).

An answer or article is read for what it teaches, so the kit is the whole body with the product
facts after it, never a cut advert; Zhihu's community rules remove posts that are only advertising
(垃圾广告) or that steer readers off the site, and links in the text go out through Zhihu's own
redirect (link.zhihu.com). Zhihu publishes no length or image figures: every figure here is from
secondary sources, hence unconfirmed.
"""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

TONE = ("Answer the question first, from your own use; say plainly that you sell it. A post that is "
        "only an advert, or that asks readers to add you elsewhere, is removed.")
TONE_ZH = "先回答问题，讲自己的真实使用；说明你在卖这件商品。纯广告或引导站外加好友的内容会被删除。"

ANSWER = ChannelSpec(
    id="zhihu",
    name="Zhihu answer or article",
    name_zh="知乎回答/文章",
    text_limit=20_000,
    title_limit=100,  # an article's title; an answer takes the question's
    hashtag_style="none",  # topics are chosen in the editor, not written in the text
    link_policy="clickable",
    max_images=30,
    image_sizes=(ImageSize("cover", 1280, 720), ImageSize("feed", 1080, 1080)),
    timeline_width=343,
    personal_voice=True,
    long_form=True,
    publish_kind="kit",
    tone=TONE,
    tone_zh=TONE_ZH,
    unconfirmed=("text_limit", "title_limit", "max_images", "image_sizes", "timeline_width"),
)

PIN = ChannelSpec(
    id="zhihu_pin",
    name="Zhihu pin (想法)",
    name_zh="知乎想法",
    text_limit=1000,
    hashtag_style="none",
    link_policy="clickable",
    max_images=9,
    image_sizes=(ImageSize("feed", 1080, 1080),),
    timeline_width=343,
    personal_voice=True,
    publish_kind="kit",
    tone=TONE,
    tone_zh=TONE_ZH,
    unconfirmed=("text_limit", "max_images", "image_sizes", "timeline_width"),
)

CHANNEL = Channel(ANSWER)
PIN_CHANNEL = Channel(PIN)
