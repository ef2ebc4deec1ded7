"""Sellers' one-time passes: invitations from the marketer and magic links by email sign in; an
``email`` pass, sent to a new address the seller gave on their profile, confirms that address.

The token is shown once (in the link) and stored as its SHA-256, like API
keys. Opening the link only looks; a POST spends it, once, with a
conditional UPDATE so two tabs racing cannot both sign in with it. A pass is
only ever spent as its own kind: an email confirmation never signs anyone in.
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

LIFETIMES = {"invite": timedelta(days=7), "magic": timedelta(minutes=20), "email": timedelta(hours=1)}
SIGN_IN = ("invite", "magic")
_TOKEN_SHAPE = 43  # characters of secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Issued:
    sharer_id: int
    workspace_id: int
    token: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_pass(session: Session, sharer: Sharer, kind: str, now: datetime | None = None,
               email: str | None = None) -> Issued:
    """A new pass of ``kind`` (``invite``, ``magic``, or ``email`` with the normalised address it
    confirms) for the sharer; the token in clear. A new ``email`` pass voids the sharer's earlier ones.

    :raise ValueError: unknown kind, or an ``email`` pass without an address.
    """
    if kind not in LIFETIMES:
        raise ValueError(f"unknown pass kind {kind!r}")
    if (kind == "email") != (email is not None):
        raise ValueError("an email pass, and only one, carries the address it confirms")
    now = now or utcnow()
    if kind == "email":
        session.execute(update(SellerPass).where(SellerPass.sharer_id == sharer.id, SellerPass.kind == "email",
                                                 SellerPass.used_at.is_(None)).values(used_at=now))
    token = secrets.token_urlsafe(32)
    expires = now + LIFETIMES[kind]
    session.add(SellerPass(workspace_id=sharer.workspace_id, sharer_id=sharer.id, kind=kind, email=email,
                           token_hash=_hash(token), expires_at=expires, created_at=now))
    session.flush()
    return Issued(sharer.id, sharer.workspace_id, token, expires)


def _plausible(token: str) -> bool:
    return len(token) == _TOKEN_SHAPE and all(c.isalnum() or c in "-_" for c in token)


def peek_pass(session: Session, token: str, now: datetime | None = None,
              kinds: tuple[str, ...] = SIGN_IN) -> SellerPass | None:
    """The pass of one of ``kinds`` behind ``token`` if it can still be spent, else None."""
    if not _plausible(token):
        return None
    row = session.scalar(select(SellerPass).where(SellerPass.token_hash == _hash(token), SellerPass.kind.in_(kinds)))
    if row is None or row.used_at is not None or row.expires_at <= (now or utcnow()):
        return None
    return row


def spend_pass(session: Session, token: str, now: datetime | None = None,
               kinds: tuple[str, ...] = SIGN_IN) -> SellerPass | None:
    """Use the pass up; the pass, or None when it is unknown, spent, expired or not of ``kinds``."""
    now = now or utcnow()
    row = peek_pass(session, token, now, kinds)
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
