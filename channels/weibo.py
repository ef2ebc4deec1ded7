"""Weibo 微博: topics written ``#话题#``, links clickable, 140 shown before "expand"."""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="weibo",
    timeline_width=240,
    long_press_qr=True,
    name="Weibo",
    name_zh="微博",
    text_limit=2000,
    preview_limit=140,
    hashtag_style="weibo",
    link_policy="clickable",
    max_images=9,
    image_sizes=(ImageSize("feed", 1080, 1080), ImageSize("portrait", 1080, 1350)),
    personal_voice=True,
    publish_kind="kit",
    unconfirmed=("max_images", "timeline_width", "long_press_qr"),
)

CHANNEL = Channel(SPEC)
