"""Suspending a sharer: their links stop crediting (the redirect still lands the buyer), their
sales stop being attributed to them, and they are not paid until the suspension is lifted."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from plumbing.errors import ApiError
from referrals.models import Link, Sharer
from referrals.sharers import get_sharer


def suspend(session: Session, workspace_id: int, sharer_id: int, reason: str, now: datetime) -> Sharer:
    """Suspend and disable every link of the sharer; the caller commits and invalidates the link cache.

    :raise ApiError 404: no such sharer. :raise ApiError 409: suspended already.
    """
    sharer = get_sharer(session, workspace_id, sharer_id)
    if sharer.suspended_at is not None:
        raise ApiError(409, "suspended", "This sharer is suspended already.")
    sharer.suspended_at, sharer.suspension_reason = now, reason
    session.execute(update(Link).where(Link.sharer_id == sharer.id).values(disabled=True))
    return sharer


def reinstate(session: Session, workspace_id: int, sharer_id: int) -> Sharer:
    """Lift a suspension: links credit again. :raise ApiError 404: no such sharer. :raise 409: not suspended."""
    sharer = get_sharer(session, workspace_id, sharer_id)
    if sharer.suspended_at is None:
        raise ApiError(409, "not_suspended", "This sharer is not suspended.")
    sharer.suspended_at = sharer.suspension_reason = None
    session.execute(update(Link).where(Link.sharer_id == sharer.id).values(disabled=False))
    return sharer


def check_not_suspended(sharer: Sharer) -> None:
    """:raise ApiError 409: the sharer is suspended (no payouts)."""
    if sharer.suspended_at is not None:
        raise ApiError(409, "suspended", "This sharer is suspended: no withdrawals or payouts until it is lifted.")
