"""The brand's Bluesky session, shared by every worker: signed in once with the app password, renewed
by ``refreshSession`` when the PDS refuses the access token, signed in again when the refresh token
is refused too.

Bluesky limits sign-ins (``createSession``: 30 per 5 minutes, 300 a day per account), so the session
is kept in Redis, sealed (plumbing/vault.py), per workspace and handle, and renewed by one worker at
a time (a Redis lock); a worker that waited finds the renewed session and uses it.
"""
from __future__ import annotations

import hashlib

from flask import Flask

from channels import publisher_for
from channels.base import PublishError, TokenExpired
from plumbing import redis_client, vault

SESSION_TTL_SECONDS = 30 * 86400  # well inside a refresh token's life; a lost session just signs in again
_KEY = "sharecast:bluesky-session:{}:{}"


def _key(workspace_id: int, credentials: dict) -> str:
    who = hashlib.sha256(f"{credentials.get('service')}|{credentials['identifier']}".encode()).hexdigest()[:24]
    return _KEY.format(workspace_id, who)


def bluesky_session(app: Flask, workspace_id: int, credentials: dict, refused: str | None = None) -> dict:
    """``{"access_token", "did", "pds"}`` for the workspace's Bluesky account; ``refused``: the access
    token the PDS just refused. :raise PublishError: Bluesky refused the app password or is unreachable."""
    redis = redis_client.connection(app)
    box = vault.for_app(app)
    key = _key(workspace_id, credentials)

    def cached() -> dict | None:
        sealed = redis.get(key)
        return box.open(sealed.decode()) if sealed else None

    session = cached()
    if session is not None and session["access_token"] != refused:
        return _public(session)
    with redis.lock(key + ":lock", timeout=60, blocking_timeout=60):
        session = cached()
        if session is not None and session["access_token"] != refused:
            return _public(session)  # another worker renewed it meanwhile
        session = _renew(app, credentials, session)
        redis.set(key, box.seal(session), ex=SESSION_TTL_SECONDS)
    return _public(session)


def _renew(app: Flask, credentials: dict, session: dict | None) -> dict:
    publisher, allow_private = publisher_for("bluesky"), app.config["ALLOW_PRIVATE_TARGETS"]
    if session is not None and session.get("refresh_token"):
        try:
            return publisher.refresh_session(session["refresh_token"], session["pds"], allow_private)
        except TokenExpired:
            pass  # the refresh token ended too: sign in again
    try:
        return publisher.create_session(credentials, allow_private)
    except TokenExpired as exc:
        raise PublishError(exc.message, retryable=False) from None


def _public(session: dict) -> dict:
    return {k: session[k] for k in ("access_token", "did", "pds")}
