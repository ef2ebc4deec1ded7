"""Channels: one module per channel, one explicit registry.

``REGISTRY`` maps a channel id to its :class:`~channels.base.Channel`. Adding a
channel means writing its module and listing it here, nothing else.
"""
from __future__ import annotations

from channels import (
    douyin,
    email,
    facebook,
    instagram,
    linkedin,
    qzone,
    telegram,
    webhook,
    wechat_moments,
    wechat_official,
    weibo,
    whatsapp,
    x,
    xiaohongshu,
)
from channels.adapters import smtp as smtp_adapter
from channels.adapters import telegram as telegram_adapter
from channels.adapters import webhook as webhook_adapter
from channels.adapters.base import Publisher
from channels.base import Channel
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
        x.CHANNEL,
        facebook.CHANNEL,
        instagram.CHANNEL,
        linkedin.CHANNEL,
        telegram.CHANNEL,
        whatsapp.CHANNEL,
        email.CHANNEL,
        webhook.CHANNEL,
    )
}

# Channels published through an API: channel id -> adapter (channels/adapters/).
PUBLISHERS: dict[str, Publisher] = {
    "telegram": telegram_adapter.PUBLISHER,
    "email": smtp_adapter.PUBLISHER,
    "webhook": webhook_adapter.PUBLISHER,
}


def get_channel(channel_id: str) -> Channel:
    """The channel registered as ``channel_id``.

    :raise KeyError: no such channel.
    """
    try:
        return REGISTRY[channel_id]
    except KeyError:
        raise KeyError(f"unknown channel {channel_id!r}") from None


def channel_ids() -> list[str]:
    """Every channel id, in registry order."""
    return list(REGISTRY)


def specs() -> list[ChannelSpec]:
    """Every channel's spec, in registry order."""
    return [channel.spec for channel in REGISTRY.values()]
