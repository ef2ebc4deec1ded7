"""The Official Account's access token: fetched by ``stable_token``, cached in Redis (sealed) and
shared by every worker, fetched again ahead of its end or when WeChat refuses it; never per post.

The seam: :data:`TOKEN_PROVIDERS` maps a channel to a :data:`TokenProvider`; the publishing
shell asks it for the token and the adapter never fetches one. A shared WeChat token service
(e.g. the one for WeChat sign-in) plugs in by replacing the entry.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from channels.wechat_official import stable_token_request
from plumbing import redis_client, vault

# (app, the channel's credentials, the token WeChat just refused or None) → a usable access token.
# :raise channels.base.PublishError: the token could not be had.
TokenProvider = Callable[[Flask, dict, "str | None"], str]

EARLY_SECONDS = 300  # stop using a token this long before WeChat says it ends
_KEY = "sharecast:wechat-token:{}"


def cached_stable_token(app: Flask, credentials: dict, refused: str | None = None) -> str:
    """The cached token for ``credentials["appid"]``; fetched (one worker at a time) when none is
    cached, or when ``refused`` is the cached one (then with ``force_refresh``)."""
    r = redis_client.connection(app)
    box = vault.for_app(app)
    key = _KEY.format(credentials["appid"])

    def cached() -> str | None:
        sealed = r.get(key)
        return box.open(sealed.decode()) if sealed is not None else None

    token = cached()
    if token is not None and token != refused:
        return token
    with r.lock(key + ":lock", timeout=30, blocking_timeout=30):
        token = cached()  # another worker may have fetched it meanwhile
        if token is not None and token != refused:
            return token
        token, expires_in = stable_token_request(credentials.get("api_base") or "", credentials["appid"],
                                                 credentials["secret"], refused is not None,
                                                 app.config["ALLOW_PRIVATE_TARGETS"])
        r.set(key, box.seal(token), ex=max(60, expires_in - EARLY_SECONDS))
        return token


TOKEN_PROVIDERS: dict[str, TokenProvider] = {"wechat_official": cached_stable_token}
