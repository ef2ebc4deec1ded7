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

from sqlalchemy import select
from sqlalchemy.orm import Session

from workspaces.models import ROLES, ApiKey


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(session: Session, workspace_id: int, role: str, sharer_id: int | None = None) -> str:
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
                       prefix=prefix, key_hash=_hash(key)))
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
