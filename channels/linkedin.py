"""LinkedIn: a post with a clickable link, posted by API."""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="linkedin",
    timeline_width=375,
    name="LinkedIn",
    name_zh="领英",
    text_limit=3000,
    hashtag_style="hash",
    link_policy="clickable",
    max_images=9,  # "several"
    image_sizes=(ImageSize("feed", 1200, 627),),
    publish_kind="api",
    unconfirmed=("max_images", "timeline_width"),
)

CHANNEL = Channel(SPEC)
