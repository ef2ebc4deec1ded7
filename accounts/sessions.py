"""Signed-in browsers, kept server-side so that signing out ends a session for real.

The cookie carries a random session id; the database keeps its SHA-256.
A session is live while its row is not revoked (and the cookie's age and,
for staff, the account's ``session_epoch`` still hold: see web/session.py).
"""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accounts.models import SellerPass, WebSession
from plumbing.database import utcnow


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def open_session(session: Session, kind: str, account_id: int, workspace_id: int) -> str:
    """Record a new signed-in browser; the session id to put in its cookie."""
    sid = secrets.token_urlsafe(32)
    session.add(WebSession(sid_hash=_hash(sid), kind=kind, account_id=account_id, workspace_id=workspace_id))
    session.flush()
    return sid


def is_live(session: Session, sid: object, kind: str, account_id: int) -> bool:
    """Whether ``sid`` is an unrevoked session of this account."""
    if not isinstance(sid, str) or not 20 <= len(sid) <= 64:
        return False
    return session.scalar(select(WebSession.id).where(
        WebSession.sid_hash == _hash(sid), WebSession.kind == kind, WebSession.account_id == account_id,
        WebSession.revoked_at.is_(None))) is not None


def close_session(session: Session, sid: object) -> None:
    """Revoke one session (signing out); unknown ids are ignored."""
    if isinstance(sid, str):
        session.execute(update(WebSession).where(WebSession.sid_hash == _hash(sid), WebSession.revoked_at.is_(None))
                        .values(revoked_at=utcnow()))


def sign_out_seller_everywhere(session: Session, workspace_id: int, sharer_id: int) -> int:
    """End every session of the seller and void their unused sign-in passes; how many sessions ended."""
    now = utcnow()
    ended = session.execute(update(WebSession).where(
        WebSession.kind == "seller", WebSession.account_id == sharer_id, WebSession.workspace_id == workspace_id,
        WebSession.revoked_at.is_(None)).values(revoked_at=now)).rowcount
    session.execute(update(SellerPass).where(
        SellerPass.sharer_id == sharer_id, SellerPass.workspace_id == workspace_id, SellerPass.used_at.is_(None))
        .values(used_at=now))
    return ended
