"""Douban groups 豆瓣小组: a discussion (讨论) in one group, long-form.

Groups are run by their own managers, and most group rules (组规) delete commercial advertising
outright; some allow it only in a pinned thread. The kit is a first-hand write-up with the
product facts after it and the seller's link in the text. Douban publishes no length or image
figures: every figure here is from secondary sources.
"""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="douban_group",
    name="Douban group",
    name_zh="豆瓣小组",
    text_limit=10_000,
    title_limit=60,
    hashtag_style="none",
    link_policy="clickable",
    max_images=20,
    image_sizes=(ImageSize("feed", 1080, 1080), ImageSize("poster", 1080, 1440)),
    timeline_width=343,
    personal_voice=True,
    long_form=True,
    publish_kind="kit",
    tone=("Read the group's rules (组规) first: most delete adverts, some allow them only in a pinned thread. "
          "Write a calm first-hand review; say that you sell it."),
    tone_zh="先读组规：多数小组删除广告，有的只允许在置顶帖里发。写平实的亲身体验，并说明你在卖这件商品。",
    unconfirmed=("text_limit", "title_limit", "link_policy", "max_images", "image_sizes", "timeline_width"),
)

CHANNEL = Channel(SPEC)
