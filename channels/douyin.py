"""Douyin 抖音: a caption under a 9:16 cover; links are not clickable."""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="douyin",
    timeline_width=375,
    name="Douyin",
    name_zh="抖音",
    text_limit=1000,  # the caption
    hashtag_style="hash",
    link_policy="qr_only",
    max_images=1,
    image_sizes=(ImageSize("cover", 1080, 1920),),
    publish_kind="kit",
    qr_reduces_reach=True,
    covered_corner="bottom_right",  # the caption along the bottom, the like/comment/share column on the right
    unconfirmed=("text_limit", "hashtag_style", "timeline_width", "qr_reduces_reach"),
)

CHANNEL = Channel(SPEC)
