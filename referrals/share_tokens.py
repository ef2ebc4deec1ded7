"""The secret in a buyer's share page address (``/s/<token>``).

A link's code is public: it travels in every ``/r/<code>`` the buyer shares,
so the share page, which can open the buyer's seller space, must not be
found from it. Its address carries a token instead: the workspace and link
ids and the time of issue, signed with HMAC-SHA256 under the app's
``SECRET_KEY`` (itsdangerous) and a salt of its own, so a token is good for
nothing else the key signs and nothing is stored. Signed rather than a random
token kept hashed: no table, no migration, and the conversion answer (stored
and replayed as it was) keeps working for as long as the key does; rotating
the key (``SECRET_KEY_FALLBACKS`` keep old ones verifying) or disabling the
link revokes it.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

SALT = "sharecast.share-page.v1"
_MAX_LENGTH = 200  # a real token is about 70 characters; anything longer is refused unread


@dataclass(frozen=True)
class ShareToken:
    workspace_id: int
    link_id: int
    issued_at: datetime
    # Only the sale that enrolled the buyer mints a token that can open their
    # seller space: a later order naming the same email or phone (which anyone
    # can type at a checkout) gets the share page, never the sign-in.
    may_join: bool


class _IssuedAt(TimestampSigner):
    """Signs as at ``issued_at``: the same token again, as the same payload, key and time sign alike."""

    def __init__(self, *args, issued_at: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.issued_at = issued_at

    def get_timestamp(self) -> int:
        return self.issued_at


def _serializer(issued_at: int | None = None) -> URLSafeTimedSerializer:
    keys = [*(current_app.config.get("SECRET_KEY_FALLBACKS") or []), current_app.config["SECRET_KEY"]]
    signer, signer_kwargs = TimestampSigner, {"digest_method": hashlib.sha256}
    if issued_at is not None:
        signer, signer_kwargs = _IssuedAt, {**signer_kwargs, "issued_at": issued_at}
    # itsdangerous signs with the last key and verifies with any of them.
    return URLSafeTimedSerializer(keys, salt=SALT, signer=signer, signer_kwargs=signer_kwargs)


def make_token(workspace_id: int, link_id: int, may_join: bool, issued_at: int | None = None) -> str:
    if issued_at is not None:
        keys = (*(current_app.config.get("SECRET_KEY_FALLBACKS") or []), current_app.config["SECRET_KEY"])
        return _token_at(keys, workspace_id, link_id, may_join, issued_at)
    return _serializer().dumps([workspace_id, link_id, int(may_join)])


@functools.lru_cache(maxsize=256)
def _token_at(keys: tuple, workspace_id: int, link_id: int, may_join: bool, issued_at: int) -> str:
    """The token issued at ``issued_at``: the same for the same keys, so a sale's answer, its stored
    copy and its webhook derive it once (each derivation made a signer class and its key)."""
    return _serializer(issued_at).dumps([workspace_id, link_id, int(may_join)])


def share_url(public_url: str, workspace_id: int, link_id: int, may_join: bool, issued_at: int | None = None) -> str:
    """The buyer's share page for their link (needs the app context for the key).

    ``may_join``: whether the page may sign its holder in as the buyer once
    (only when this very sale enrolled them). ``issued_at`` (Unix seconds):
    re-derive the very URL issued then, so it need not be stored.
    """
    return f"{public_url}/s/{make_token(workspace_id, link_id, may_join, issued_at)}"


def read_token(token: str) -> ShareToken | None:
    """What a token names, or None for anything not signed by us (a link code, a forgery, junk)."""
    if not token or len(token) > _MAX_LENGTH:
        return None
    try:
        payload, signed_at = _serializer().loads(token, return_timestamp=True)
    except (BadData, ValueError, TypeError):
        return None
    if (not isinstance(payload, list) or len(payload) != 3
            or not all(type(v) is int and 0 < v < 2**31 for v in payload[:2]) or payload[2] not in (0, 1)):
        return None
    return ShareToken(payload[0], payload[1], signed_at.astimezone(timezone.utc), bool(payload[2]))


def spent_marker(found: ShareToken) -> str:
    """What marks the token's one-time seller-space sign-in as used (stored, never the token).

    Made from what the signature vouches for, not from the token's text: a
    base64 text has spellings that decode alike, and each would otherwise
    count as a new token.
    """
    issued = int(found.issued_at.timestamp())
    return hashlib.sha256(f"share:{found.workspace_id}:{found.link_id}:{issued}".encode()).hexdigest()
