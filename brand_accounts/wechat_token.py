"""The Official Account's access token for posting: the one of :mod:`platforms.wechat`.

The seam: :data:`TOKEN_PROVIDERS` maps a channel to a :data:`TokenProvider`; the publishing
shell asks it for the token and the adapter never fetches one. For ``wechat_official`` it is
the token that sign-in and the JS-SDK ticket use too (``stable_token``, cached in Redis, sealed,
one fetch at a time per AppID, see :func:`credentials.wechat.token_cache`): a second fetcher
with its own cache would end the first one's token whenever it forced a refresh.

Which account: the workspace's Official Account (``PUT /api/v1/wechat/account``) when it is
connected and the channel's credentials name no other AppID; otherwise the AppID and AppSecret
given with the channel's credentials (the same cache, keyed by AppID, so one token per account).
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from brand_accounts.bluesky_session import bluesky_session
from channels.base import PublishError
from credentials.wechat import load_account, token_cache
from platforms import wechat
from plumbing import database, guarded_http

# (app, workspace id, the channel's credentials, the token the platform just refused or None) → a usable
# token, or a dict of fields to add to the credentials (Bluesky: the token, the account's DID and PDS).
# :raise channels.base.PublishError: the token could not be had.
TokenProvider = Callable[[Flask, int, dict, "str | None"], "str | dict"]

# -1 system busy (or not JSON), -2 unreachable, -3 token cache unavailable, 45009/45011 quotas.
RETRYABLE = frozenset({-1, -2, -3, 45009, 45011})


def official_account(app: Flask, workspace_id: int, credentials: dict) -> wechat.OfficialAccount:
    """The account to post as. :raise PublishError: none connected and no AppSecret given (final)."""
    with app.app_context(), database.read_session(app) as session:
        connected = load_account(session, workspace_id)
    appid = credentials.get("appid")
    if connected is not None and (not appid or appid == connected.app_id):
        return connected
    if appid and credentials.get("secret"):
        return wechat.OfficialAccount(appid, credentials["secret"],
                                      credentials.get("api_base") or app.config["WECHAT_API_BASE"])
    raise PublishError("no WeChat Official Account is connected; connect it with PUT /api/v1/wechat/account",
                       retryable=False)


def official_account_token(app: Flask, workspace_id: int, credentials: dict, refused: str | None = None) -> str:
    """The shared access token of the workspace's Official Account; ``refused``: the one WeChat just
    refused (renewed with ``force_refresh`` unless another worker already did)."""
    account = official_account(app, workspace_id, credentials)
    try:
        with guarded_http.client(app.config["ALLOW_PRIVATE_TARGETS"], timeout=15.0) as client:
            return wechat.access_token(account, client, token_cache(app), refused)
    except wechat.WeChatError as exc:
        message = exc.errmsg[:200].replace(account.app_secret, "<secret>")
        raise PublishError(f"WeChat stable_token refused ({exc.errcode}: {message})",
                           retryable=exc.errcode in RETRYABLE) from None


TOKEN_PROVIDERS: dict[str, TokenProvider] = {"wechat_official": official_account_token, "bluesky": bluesky_session}
