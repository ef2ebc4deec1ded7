"""WeChat Moments 朋友圈: a seller's own feed, published as a copy-ready kit.

Links in Moments are not clickable, so the link travels in the poster's QR code
and the text names the sharer's code word instead.
"""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="wechat_moments",
    timeline_width=200,
    long_press_qr=True,
    name="WeChat Moments",
    name_zh="朋友圈",
    # Moments folds long text and has no published limit; 1,500 keeps a post
    # well inside what pastes cleanly.
    text_limit=1500,
    preview_limit=120,  # about six lines on a phone before "全文"
    hashtag_style="hash",
    link_policy="qr_only",
    max_images=9,
    image_sizes=(ImageSize("feed", 1080, 1080), ImageSize("poster", 1080, 1440)),
    personal_voice=True,
    publish_kind="kit",
    unconfirmed=("text_limit", "hashtag_style", "max_images", "timeline_width", "preview_limit"),
)

CHANNEL = Channel(SPEC)
