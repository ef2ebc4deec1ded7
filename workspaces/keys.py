"""API keys: random, shown once, stored as a SHA-256 hash.

A key is ``sc_<prefix>_<secret>``. The prefix is an index into the table; the
whole key's hash is compared with ``hmac.compare_digest`` so a lookup leaks
nothing about the secret part. SHA-256 (not a slow password hash) is right
here because the secret has 256 bits of entropy.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plumbing import database
from plumbing.appstate import AppSlot
from plumbing.database import utcnow
from plumbing.errors import ApiError
from workspaces.models import ROLES, ApiKey

# Roles an owner may issue through the API (owner keys come from the CLI, seller keys with their sharer).
ISSUABLE_ROLES = ("server", "marketer")
# How stale ``last_used_at`` may get: a write per request would turn every authenticated call into one.
KEY_USE_RESOLUTION = timedelta(minutes=5)
# How long a process trusts a key it has verified without asking the database again. A
# revocation is seen at once by the process that made it and within this time by the others.
KEY_CACHE_SECONDS = 2.0
_KEY_CACHE_SIZE = 10_000


@dataclass
class KeyGrant:
    """What authentication needs of a live key row, kept between requests."""

    id: int
    workspace_id: int
    role: str
    sharer_id: int | None
    prefix: str
    key_hash: str
    last_used_at: datetime | None


# prefix -> (monotonic expiry, grant): per app, so tests with many apps never share one.
_recent: AppSlot[dict[str, tuple[float, KeyGrant]]] = AppSlot("api_keys_recent")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(session: Session, workspace_id: int, role: str, sharer_id: int | None = None,
              name: str = "") -> str:
    """Create a key for ``role`` and return it in clear (the only time it exists so).

    :raise ValueError: unknown role, or a seller key without a sharer.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if (role == "seller") != (sharer_id is not None):
        raise ValueError("a seller key is bound to exactly one sharer; other keys to none")
    prefix = secrets.token_hex(6)
    key = f"sc_{prefix}_{secrets.token_urlsafe(32)}"
    session.add(ApiKey(workspace_id=workspace_id, role=role, sharer_id=sharer_id,
                       prefix=prefix, key_hash=_hash(key), name=name))
    session.flush()
    return key


def verify_key(session: Session, key: str) -> ApiKey | None:
    """The live key row for ``key``, or None when it is unknown, malformed or revoked."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "sc" or not parts[1] or len(key) > 200:
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if row is None or row.revoked_at is not None:
        return None
    return row if hmac.compare_digest(row.key_hash, _hash(key)) else None


def verify_key_cached(key: str) -> KeyGrant | None:
    """:func:`verify_key` through the app's short-lived cache (KEY_CACHE_SECONDS); None as there.

    The hash is compared on every call, so a cached prefix never lets another secret in.
    """
    cache = _recent.get_or_make(current_app._get_current_object(), dict)
    prefix = key.split("_", 2)[1] if key.count("_") >= 2 else ""
    now = time.monotonic()
    hit = cache.get(prefix)
    if hit is not None and hit[0] > now:
        grant = hit[1]
        return grant if hmac.compare_digest(grant.key_hash, _hash(key)) else None
    with database.read_session() as s:
        row = verify_key(s, key)
        if row is None:
            return None
        grant = KeyGrant(row.id, row.workspace_id, row.role, row.sharer_id, row.prefix, row.key_hash,
                         row.last_used_at)
    if len(cache) >= _KEY_CACHE_SIZE:
        cache.clear()
    cache[prefix] = (now + KEY_CACHE_SECONDS, grant)
    return grant


def forget_key(prefix: str) -> None:
    """Drop ``prefix`` from this process's cache (a revocation)."""
    _recent.get_or_make(current_app._get_current_object(), dict).pop(prefix, None)


def key_row(session: Session, workspace_id: int, prefix: str) -> ApiKey:
    """:raise ApiError 404: no key with this prefix in the workspace."""
    row = session.scalar(select(ApiKey).where(ApiKey.workspace_id == workspace_id, ApiKey.prefix == prefix))
    if row is None:
        raise ApiError(404, "not_found", "No such API key.")
    return row


def list_keys(session: Session, workspace_id: int) -> list[ApiKey]:
    """The workspace's live staff and server keys, newest first (seller keys live with their sharers)."""
    return list(session.scalars(select(ApiKey).where(
        ApiKey.workspace_id == workspace_id, ApiKey.revoked_at.is_(None), ApiKey.sharer_id.is_(None))
        .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())))


def revoke_key(session: Session, workspace_id: int, key_id: int, revoker_key_id: int | None = None) -> ApiKey:
    """Revoke a key at once (the next request with it answers 401); the caller commits.

    :raise ApiError 404: unknown or already revoked key, or a seller's key.
    :raise ApiError 409: the key making the request, or the workspace's last owner key.
    """
    row = session.scalar(select(ApiKey).where(ApiKey.workspace_id == workspace_id, ApiKey.id == key_id,
                                              ApiKey.revoked_at.is_(None), ApiKey.sharer_id.is_(None)))
    if row is None:
        raise ApiError(404, "not_found", "No such API key.")
    if row.id == revoker_key_id:
        raise ApiError(409, "key_in_use", "A key cannot revoke itself; use another owner key.")
    row.revoked_at = utcnow()
    forget_key(row.prefix)
    return row


def note_use(session: Session, grant: KeyGrant) -> None:
    """Record that ``grant``'s key was used, at most once per KEY_USE_RESOLUTION (one UPDATE)."""
    now = utcnow()
    if grant.last_used_at is not None and now - grant.last_used_at < KEY_USE_RESOLUTION:
        return
    session.execute(update(ApiKey).where(ApiKey.id == grant.id).values(last_used_at=now))
    session.commit()
    grant.last_used_at = now  # the cached grant too: the next requests need not write
