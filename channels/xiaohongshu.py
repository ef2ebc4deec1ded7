"""Xiaohongshu 小红书: notes with a short title and ``#话题`` topics.

The first image must show no QR code or contact details, so the poster with
the QR code goes later in the set and the text says so.
"""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="xiaohongshu",
    timeline_width=375,
    name="Xiaohongshu",
    name_zh="小红书",
    text_limit=1000,
    title_limit=20,
    hashtag_style="hash",
    max_hashtags=10,
    link_policy="qr_only",
    max_images=18,  # "several"
    image_sizes=(ImageSize("feed", 1080, 1440),),
    first_image_no_qr=True,
    qr_reduces_reach=True,
    personal_voice=True,
    publish_kind="kit",
    unconfirmed=("text_limit", "title_limit", "max_hashtags", "max_images", "timeline_width", "qr_reduces_reach"),
)

CHANNEL = Channel(SPEC)
