"""A seller adds or changes their email address: the new address is used only once the link sent
to it is opened (an ``email`` pass, one hour, once), so nobody can put an inbox they do not read
on a seller, and a typo never takes a seller's sign-in links elsewhere."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import passes
from accounts.models import SellerPass
from plumbing.database import utcnow
from referrals.models import Sharer


def ask(session: Session, sharer: Sharer, email: str, now: datetime | None = None) -> passes.Issued:
    """A pass confirming ``email`` (normalised) for the sharer; earlier ones stop working. The caller commits."""
    return passes.issue_pass(session, sharer, "email", now=now, email=email)


def pending(session: Session, sharer: Sharer, now: datetime | None = None) -> str | None:
    """The address waiting for its link to be opened, if any."""
    return session.scalar(select(SellerPass.email).where(
        SellerPass.sharer_id == sharer.id, SellerPass.kind == "email", SellerPass.used_at.is_(None),
        SellerPass.expires_at > (now or utcnow())).order_by(SellerPass.id.desc()).limit(1))


def peek(session: Session, token: str) -> SellerPass | None:
    """The live confirmation behind ``token``, else None."""
    return passes.peek_pass(session, token, kinds=("email",))


def confirm(session: Session, token: str, now: datetime | None = None) -> Sharer | None:
    """Spend the confirmation: its address becomes the sharer's (``email_changed_at``: payout details
    wait a while after it). None when it is unknown, used or expired (nothing changes). The caller commits."""
    spent = passes.spend_pass(session, token, now, kinds=("email",))
    if spent is None:
        return None
    sharer = session.get(Sharer, spent.sharer_id)
    sharer.email, sharer.email_changed_at = spent.email, now or utcnow()
    return sharer
