"""WhatsApp: one image with a caption, shared by the seller (kit) or the Cloud API."""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="whatsapp",
    timeline_width=260,
    name="WhatsApp",
    name_zh="WhatsApp",
    text_limit=1024,  # the caption travels with the one image
    caption_limit=1024,
    hashtag_style="none",
    link_policy="clickable",
    max_images=1,
    # Only the format (JPEG/PNG) and the 5 MB cap are documented; the size is ours.
    image_sizes=(ImageSize("photo", 1080, 1080),),
    max_image_bytes=5 * 1024 * 1024,
    personal_voice=True,
    publish_kind="kit",
    unconfirmed=("image_sizes", "timeline_width"),
)

CHANNEL = Channel(SPEC)
