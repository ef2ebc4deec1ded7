"""The workspace's WeChat Official Account: app id and app secret, the secret sealed like channel credentials.

Optionally the website app (网站应用) of the same Open Platform account, for signing in on a
computer with a QR code (:func:`load_website_app`). Sign-in (web/wechat_sign_in.py), share cards (web/share_cards.py) and posting
articles (brand_accounts/wechat_token.py) load it as a
:class:`platforms.wechat.OfficialAccount` and share the one token cache,
:func:`token_cache`.
"""
from __future__ import annotations

import re

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from credentials.models import WeChatAccount
from platforms.wechat import OfficialAccount, TokenCache
from plumbing import redis_client, vault
from plumbing.database import utcnow
from plumbing.errors import ApiError

_APP_ID = re.compile(r"wx[0-9a-f]{16}")
_SECRET = re.compile(r"[0-9a-zA-Z]{16,64}")


def save_account(session: Session, workspace_id: int, app_id: str, app_secret: str,
                 web_app_id: str | None = None, web_app_secret: str | None = None) -> WeChatAccount:
    """Store (replace) the account, and the website app (QR-code sign-in on computers) when both its
    app id and secret are given; the caller commits.

    :raise ApiError 422: a malformed app id or secret, or a website app id without its secret (or the reverse).
    """
    fields = {}
    if not isinstance(app_id, str) or not _APP_ID.fullmatch(app_id):
        fields["app_id"] = ["An Official Account's AppID: wx followed by 16 hexadecimal characters."]
    if not isinstance(app_secret, str) or not _SECRET.fullmatch(app_secret):
        fields["app_secret"] = ["The AppSecret from the Official Account platform (letters and digits)."]
    if (web_app_id is None) != (web_app_secret is None):
        fields["web_app_id" if web_app_id is None else "web_app_secret"] = [
            "A website app needs both its AppID and its AppSecret."]
    elif web_app_id is not None:
        if not _APP_ID.fullmatch(web_app_id) or web_app_id == app_id:
            fields["web_app_id"] = ["The website app's own AppID (Open Platform): wx and 16 hexadecimal characters."]
        if not _SECRET.fullmatch(web_app_secret):
            fields["web_app_secret"] = ["The website app's AppSecret from the Open Platform (letters and digits)."]
    if fields:
        raise ApiError(422, "validation_error", "The WeChat account is invalid.", fields)
    row = session.scalar(select(WeChatAccount).where(WeChatAccount.workspace_id == workspace_id))
    if row is None:
        row = WeChatAccount(workspace_id=workspace_id)
        session.add(row)
    box = vault.for_app(current_app)
    row.app_id, row.secret_sealed, row.updated_at = app_id, box.seal(app_secret), utcnow()
    row.web_app_id = web_app_id
    row.web_secret_sealed = box.seal(web_app_secret) if web_app_secret is not None else None
    session.flush()
    return row


def account_row(session: Session, workspace_id: int) -> WeChatAccount | None:
    return session.scalar(select(WeChatAccount).where(WeChatAccount.workspace_id == workspace_id))


def load_account(session: Session, workspace_id: int) -> OfficialAccount | None:
    """The workspace's Official Account with its secret in clear, or None when none is connected."""
    row = account_row(session, workspace_id)
    if row is None:
        return None
    return OfficialAccount(row.app_id, vault.for_app(current_app).open(row.secret_sealed),
                           current_app.config["WECHAT_API_BASE"])


def load_website_app(session: Session, workspace_id: int) -> OfficialAccount | None:
    """The workspace's website app (QR-code sign-in) with its secret in clear, or None when it has none."""
    row = account_row(session, workspace_id)
    if row is None or row.web_app_id is None or row.web_secret_sealed is None:
        return None
    return OfficialAccount(row.web_app_id, vault.for_app(current_app).open(row.web_secret_sealed),
                           current_app.config["WECHAT_API_BASE"])


def token_cache(app: Flask | None = None) -> TokenCache:
    """The one cache of access tokens and tickets, in the app's Redis, sealed by the app's vault."""
    app = app or current_app
    return TokenCache(redis_client.connection(app), box=vault.for_app(app))
