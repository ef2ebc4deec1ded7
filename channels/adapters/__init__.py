"""Publishing adapters: how a post reaches a channel with an API.

Each module here is one adapter behind :class:`channels.adapters.base.Publisher`;
``channels.PUBLISHERS`` is the registry. Adapters are pure of the database:
they get a post and the channel's credentials, and answer a
:class:`~channels.adapters.base.PublishResult` or raise
:class:`~channels.adapters.base.PublishError`.
"""
