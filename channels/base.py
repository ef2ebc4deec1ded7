"""The interface every channel shares.

A channel is its spec (what it accepts) plus how a campaign is written for it.
Publishing adapters (how a post reaches the channel) come later and will hang
off this class; a channel never imports the database.
"""
from __future__ import annotations

from channels.spec import ChannelSpec
from publishing.compose import ComposedPost, compose
from publishing.content import MasterContent, SharerVoice


class Channel:
    """A channel: ``spec`` plus :meth:`compose`.

    Subclasses override :meth:`compose` only when the channel needs more than
    the spec-driven composition in :mod:`publishing.compose`.
    """

    def __init__(self, spec: ChannelSpec) -> None:
        self.spec = spec

    @property
    def id(self) -> str:
        return self.spec.id

    def compose(self, content: MasterContent, voice: SharerVoice | None = None) -> ComposedPost:
        """The post's text for this channel; see :func:`publishing.compose.compose`."""
        return compose(self.spec, content, voice)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec.id}>"
