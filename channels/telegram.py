"""Telegram: a message (4,096) or, with photos, a caption (1,024), by the Bot API."""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="telegram",
    name="Telegram",
    name_zh="电报",
    text_limit=4096,
    caption_limit=1024,
    hashtag_style="hash",
    link_policy="clickable",
    max_images=10,  # an album holds 2 to 10
    # Telegram scales photos to 1280 on the longest side: the box, not a crop.
    image_sizes=(ImageSize("photo", 1280, 1280),),
    personal_voice=True,
    publish_kind="api",
)

CHANNEL = Channel(SPEC)
