"""Sellers' sign-in passes: invitations from the marketer and magic links by email.

The token is shown once (in the link) and stored as its SHA-256, like API
keys. Opening the link only looks; a POST spends it, once, with a
conditional UPDATE so two tabs racing cannot both sign in with it.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts.models import SellerPass
from plumbing.database import utcnow
from referrals.identity import normalize_email
from referrals.models import Sharer

LIFETIMES = {"invite": timedelta(days=7), "magic": timedelta(minutes=20)}
_TOKEN_SHAPE = 43  # characters of secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Issued:
    sharer_id: int
    workspace_id: int
    token: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_pass(session: Session, sharer: Sharer, kind: str, now: datetime | None = None) -> Issued:
    """A new pass of ``kind`` (``invite`` or ``magic``) for the sharer; the token in clear.

    :raise ValueError: unknown kind.
    """
    if kind not in LIFETIMES:
        raise ValueError(f"unknown pass kind {kind!r}")
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    expires = now + LIFETIMES[kind]
    session.add(SellerPass(workspace_id=sharer.workspace_id, sharer_id=sharer.id, kind=kind,
                           token_hash=_hash(token), expires_at=expires, created_at=now))
    session.flush()
    return Issued(sharer.id, sharer.workspace_id, token, expires)


def _plausible(token: str) -> bool:
    return len(token) == _TOKEN_SHAPE and all(c.isalnum() or c in "-_" for c in token)


def peek_pass(session: Session, token: str, now: datetime | None = None) -> SellerPass | None:
    """The pass behind ``token`` if it can still be spent, else None."""
    if not _plausible(token):
        return None
    row = session.scalar(select(SellerPass).where(SellerPass.token_hash == _hash(token)))
    if row is None or row.used_at is not None or row.expires_at <= (now or utcnow()):
        return None
    return row


def spend_pass(session: Session, token: str, now: datetime | None = None) -> SellerPass | None:
    """Use the pass up; the pass, or None when it is unknown, spent or expired."""
    now = now or utcnow()
    row = peek_pass(session, token, now)
    if row is None:
        return None
    spent = session.execute(update(SellerPass)
                            .where(SellerPass.id == row.id, SellerPass.used_at.is_(None))
                            .values(used_at=now)
                            .execution_options(synchronize_session=False))
    return row if spent.rowcount == 1 else None


def sharers_by_email(session: Session, email: str) -> list[Sharer]:
    """Every sharer (in any workspace) with this email: one magic link is sent for each."""
    normalised = normalize_email(email)
    if normalised is None:
        return []
    return list(session.scalars(select(Sharer).where(Sharer.email == normalised).order_by(Sharer.id)))
