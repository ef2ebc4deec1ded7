"""QQ Zone QQ空间: limits from the share API, whose URL must hold no Chinese."""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="qzone",
    timeline_width=343,
    long_press_qr=True,
    name="QQ Zone",
    name_zh="QQ空间",
    text_limit=600,
    title_limit=200,
    hashtag_style="weibo",
    link_policy="no_cjk_url",
    max_images=9,  # "several"
    image_sizes=(ImageSize("feed", 1080, 1080),),
    personal_voice=True,
    publish_kind="kit",
    unconfirmed=("hashtag_style", "max_images", "timeline_width", "long_press_qr"),
)

CHANNEL = Channel(SPEC)
