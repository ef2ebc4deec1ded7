"""X: 280 weighted characters (CJK counts 2, any URL 23), posted by API."""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize
from channels.textcut import X_LIMIT

SPEC = ChannelSpec(
    id="x",
    timeline_width=290,
    unconfirmed=("timeline_width",),
    name="X",
    name_zh="X（推特）",
    text_limit=X_LIMIT,
    weighted_length="x",
    hashtag_style="hash",
    link_policy="clickable",
    max_images=4,
    image_sizes=(ImageSize("feed", 1600, 900),),
    publish_kind="api",
)

CHANNEL = Channel(SPEC)
