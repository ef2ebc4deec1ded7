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
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plumbing.database import utcnow
from plumbing.errors import ApiError
from workspaces.models import ROLES, ApiKey

# Roles an owner may issue through the API (owner keys come from the CLI, seller keys with their sharer).
ISSUABLE_ROLES = ("server", "marketer")
# How stale ``last_used_at`` may get: a write per request would turn every authenticated call into one.
KEY_USE_RESOLUTION = timedelta(minutes=5)


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
    return row


def note_use(session: Session, row: ApiKey) -> None:
    """Record that ``row`` was used, at most once per KEY_USE_RESOLUTION (one conditional UPDATE)."""
    now = utcnow()
    if row.last_used_at is not None and now - row.last_used_at < KEY_USE_RESOLUTION:
        return
    session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
    session.commit()
