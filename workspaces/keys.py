"""API keys: random, shown once, stored as a SHA-256 hash.

A key is ``sc_<prefix>_<secret>``. The prefix is an index into the table; the
whole key's hash is compared with ``hmac.compare_digest`` so a lookup leaks
nothing about the secret part. SHA-256 (not a slow password hash) is right
here because the secret has 256 bits of entropy.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import redis
from flask import has_app_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from plumbing import database, redis_client
from plumbing.database import utcnow
from plumbing.errors import ApiError
from workspaces.models import ROLES, ApiKey

# Roles an owner may issue through the API (owner keys come from the CLI, seller keys with their sharer).
ISSUABLE_ROLES = ("server", "marketer")
# How stale ``last_used_at`` may get: a write per request would turn every authenticated call into one.
KEY_USE_RESOLUTION = timedelta(minutes=5)
# A verified key is remembered in Redis (shared by every process and node) for this long, under
# its hash, so an authenticated request costs one Redis round trip and no SQL. Revoking a key
# (any ORM change to ``revoked_at``) marks its hash revoked in Redis when the change commits;
# the marker outlives any remembered entry, so every node refuses the key from then on.
KEY_CACHE_SECONDS = 300
_CACHED = "sharecast:key:{}"
_REVOKED = "sharecast:key-revoked:{}"
_NOTED = "sharecast.keys.revoked"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifiedKey:
    """What authentication needs of a live key row (also what is remembered in Redis)."""
    id: int
    workspace_id: int
    role: str
    sharer_id: int | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: ApiKey) -> VerifiedKey:
        return cls(row.id, row.workspace_id, row.role, row.sharer_id, row.last_used_at)

    def dumps(self) -> str:
        return json.dumps({**asdict(self), "last_used_at": self.last_used_at.isoformat()
                           if self.last_used_at else None})

    @classmethod
    def loads(cls, raw: bytes) -> VerifiedKey:
        data = json.loads(raw)
        used = data.pop("last_used_at")
        return cls(**data, last_used_at=datetime.fromisoformat(used) if used else None)


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
    if not _well_formed(key):
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == key.split("_", 2)[1]))
    if row is None or row.revoked_at is not None:
        return None
    return row if hmac.compare_digest(row.key_hash, _hash(key)) else None


def _well_formed(key: str) -> bool:
    parts = key.split("_", 2)
    return len(parts) == 3 and parts[0] == "sc" and bool(parts[1]) and len(key) <= 200


def verify_key_cached(connection: redis.Redis, read_session, key: str) -> VerifiedKey | None:
    """:func:`verify_key` remembered in Redis under the key's hash (see KEY_CACHE_SECONDS).

    ``read_session`` opens a session for the lookup when Redis does not know the key. A Redis
    that does not answer costs the lookup, never a wrong answer.
    """
    if not _well_formed(key):
        return None
    digest = _hash(key)
    try:
        cached, revoked = connection.mget(_CACHED.format(digest), _REVOKED.format(digest))
    except redis.RedisError:
        cached = revoked = None
        connection = None
    if revoked is not None:
        return None
    if cached is not None:
        return VerifiedKey.loads(cached)
    with read_session() as s:
        row = verify_key(s, key)
        found = VerifiedKey.of(row) if row is not None else None
    if found is not None and connection is not None:
        try:
            connection.set(_CACHED.format(digest), found.dumps(), ex=KEY_CACHE_SECONDS)
        except redis.RedisError:
            pass
    return found


def forget_cached(connection: redis.Redis, digest: str) -> None:
    """Mark a key's hash revoked for every node (longer than any remembered entry lives)."""
    pipe = connection.pipeline()
    pipe.set(_REVOKED.format(digest), "1", ex=KEY_CACHE_SECONDS * 2)
    pipe.delete(_CACHED.format(digest))
    pipe.execute()


@event.listens_for(Session, "before_flush")
def _note_revocations(session: Session, _context, _instances) -> None:
    """Remember the hashes of keys revoked or deleted in this transaction, to forget at commit."""
    changed = [row for row in session.dirty if isinstance(row, ApiKey) and row.revoked_at is not None]
    changed += [row for row in session.deleted if isinstance(row, ApiKey)]
    if changed:
        session.info.setdefault(_NOTED, set()).update(row.key_hash for row in changed)


@event.listens_for(Session, "after_commit")
def _forget_revoked(session: Session) -> None:
    digests = session.info.pop(_NOTED, None)
    if not digests:
        return
    app = database.app_of(session)
    if app is None and not has_app_context():  # pragma: no cover - a session made by hand
        log.error("API keys revoked outside the app: Redis may trust them for up to %s s", KEY_CACHE_SECONDS)
        return
    try:
        for digest in digests:
            forget_cached(redis_client.connection(app), digest)
    except redis.RedisError:  # pragma: no cover - Redis down: nothing is read from it either until it is back
        log.exception("could not mark revoked API keys in Redis")


@event.listens_for(Session, "after_rollback")
def _keep_unrevoked(session: Session) -> None:
    session.info.pop(_NOTED, None)


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


def use_is_stale(row: ApiKey | VerifiedKey) -> bool:
    return row.last_used_at is None or utcnow() - row.last_used_at >= KEY_USE_RESOLUTION


def note_use(session: Session, row: ApiKey | VerifiedKey, connection: redis.Redis | None = None,
             key: str | None = None) -> None:
    """Record that ``row`` was used, at most once per KEY_USE_RESOLUTION (one conditional UPDATE);
    with ``connection`` and ``key``, the remembered entry learns the new time too."""
    if not use_is_stale(row):
        return
    now = utcnow()
    session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
    session.commit()
    if connection is not None and key is not None:
        fresh = VerifiedKey(row.id, row.workspace_id, row.role, row.sharer_id, now)
        try:
            # xx: only while still remembered (a revocation meanwhile deleted it and must win).
            connection.set(_CACHED.format(_hash(key)), fresh.dumps(), ex=KEY_CACHE_SECONDS, xx=True)
        except redis.RedisError:
            pass
