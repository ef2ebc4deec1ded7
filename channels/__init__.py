"""Channels: one module per channel, one explicit registry.

``REGISTRY`` maps a channel id to its :class:`~channels.base.Channel`: its spec,
how a post is written for it, and, for a channel with an API, the adapter that
posts to the brand's own account (``channel.publisher``). Adding a channel means
writing its module and listing it here, nothing else.
"""
from __future__ import annotations

from channels import (
    bluesky,
    douban,
    douyin,
    email,
    facebook,
    instagram,
    linkedin,
    mastodon,
    qzone,
    telegram,
    tieba,
    webhook,
    wechat_moments,
    wechat_official,
    weibo,
    whatsapp,
    x,
    xiaohongshu,
    zhihu,
)
from channels.base import Channel, Publisher
from channels.spec import ChannelSpec

REGISTRY: dict[str, Channel] = {
    channel.spec.id: channel
    for channel in (
        wechat_moments.CHANNEL,
        wechat_official.CHANNEL,
        weibo.CHANNEL,
        qzone.CHANNEL,
        xiaohongshu.CHANNEL,
        douyin.CHANNEL,
        zhihu.CHANNEL,
        zhihu.PIN_CHANNEL,
        tieba.CHANNEL,
        douban.CHANNEL,
        x.CHANNEL,
        facebook.CHANNEL,
        instagram.CHANNEL,
        linkedin.CHANNEL,
        mastodon.CHANNEL,
        bluesky.CHANNEL,
        telegram.CHANNEL,
        whatsapp.CHANNEL,
        email.CHANNEL,
        webhook.CHANNEL,
    )
}

def get_channel(channel_id: str) -> Channel:
    """The channel registered as ``channel_id``.

    :raise KeyError: no such channel.
    """
    try:
        return REGISTRY[channel_id]
    except KeyError:
        raise KeyError(f"unknown channel {channel_id!r}") from None


def publisher_for(channel_id: str) -> Publisher | None:
    """The adapter that posts to ``channel_id`` through its API, or None (a copy-ready kit,
    or an unknown channel)."""
    channel = REGISTRY.get(channel_id)
    return channel.publisher if channel is not None else None


def publishers() -> dict[str, Publisher]:
    """Channel id → adapter, for every channel posted to through an API adapter."""
    return {cid: c.publisher for cid, c in REGISTRY.items() if c.publisher is not None}


def channel_ids() -> list[str]:
    """Every channel id, in registry order."""
    return list(REGISTRY)


def specs() -> list[ChannelSpec]:
    """Every channel's spec, in registry order."""
    return [channel.spec for channel in REGISTRY.values()]
