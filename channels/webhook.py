"""Webhook: the whole post, uncut, to any HTTP endpoint (signed, Standard Webhooks).

The receiver gets every part as its own field, so the post carries the title
as well as the full text; images travel as URLs.
"""
from __future__ import annotations

from dataclasses import replace

from channels.base import Channel
from channels.spec import ChannelSpec
from publishing.compose import ComposedPost
from publishing.content import MasterContent, SharerVoice

SPEC = ChannelSpec(
    id="webhook",
    name="Webhook",
    name_zh="Webhook",
    text_limit=None,
    hashtag_style="hash",
    link_policy="clickable",
    max_images=None,
    publish_kind="api",
    in_library=False,  # machine-to-machine: nobody shares it by hand
)


class WebhookChannel(Channel):
    """Adds the title as a field: a webhook has no limits to respect."""

    def compose(self, content: MasterContent, voice: SharerVoice | None = None) -> ComposedPost:
        post = super().compose(content, voice)
        return replace(post, title=content.title.strip() or None)


CHANNEL = WebhookChannel(SPEC)
