"""WeChat Official Account 公众号: an article kit with one "read original" link.

Publishing through the API needs the brand's own credentials, so Sharecast
prepares a copy-ready article kit.
"""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="wechat_official",
    timeline_width=343,
    long_press_qr=True,
    name="WeChat Official Account",
    name_zh="公众号",
    text_limit=19_999,  # body < 20,000 characters
    title_limit=32,
    summary_limit=128,
    hashtag_style="none",
    link_policy="one_link",
    max_images=1,
    # The 1:1 cover's pixel size is ours: only the ratio is documented.
    image_sizes=(ImageSize("cover", 900, 383), ImageSize("cover_square", 900, 900)),
    publish_kind="kit",
    unconfirmed=("image_sizes", "timeline_width"),
)

CHANNEL = Channel(SPEC)
