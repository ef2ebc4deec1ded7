"""Email: the title is the subject, the text the plain-text body, sent by SMTP.

(This module is ``channels.email``; it does not shadow the standard library's
``email`` because imports are absolute.)
"""
from channels.base import Channel
from channels.spec import ChannelSpec, ImageSize

SPEC = ChannelSpec(
    id="email",
    name="Email",
    name_zh="电子邮件",
    text_limit=None,
    # RFC 5322 caps a header line at 998 characters; "Subject: " takes 9.
    title_limit=989,
    hashtag_style="none",
    link_policy="clickable",
    max_images=None,  # inline, as many as the body holds
    image_sizes=(ImageSize("inline", 1200),),
    publish_kind="api",
)

CHANNEL = Channel(SPEC)
