"""Facebook: a Page post with a clickable link, posted by API."""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="facebook",
    timeline_width=375,
    unconfirmed=("timeline_width",),
    name="Facebook",
    name_zh="脸书",
    text_limit=5000,
    hashtag_style="hash",
    link_policy="clickable",
    max_images=10,
    image_sizes=(ImageSize("feed", 1200, 630),),
    publish_kind="api",
)

CHANNEL = Channel(SPEC)
