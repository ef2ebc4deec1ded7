"""Instagram: a caption with up to 30 hashtags; links in captions are not clickable."""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="instagram",
    timeline_width=375,
    unconfirmed=("timeline_width",),
    name="Instagram",
    name_zh="照片墙",
    text_limit=2200,  # the caption
    hashtag_style="hash",
    max_hashtags=30,
    link_policy="qr_only",
    max_images=10,
    image_sizes=(
        ImageSize("feed", 1080, 1350),
        ImageSize("square", 1080, 1080),
        ImageSize("story", 1080, 1920),
    ),
    publish_kind="api",
)

CHANNEL = Channel(SPEC)
