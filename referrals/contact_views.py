"""Every view of a sharer's full phone number and email, by a console account or an API key, is kept
(PIPL: marketers see masked contacts except where they need the full ones, and each such view is logged)."""
from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import Session

from referrals.models import ContactView


def record_contact_views(session: Session, workspace_id: int, sharer_ids: list[int], user_id: int | None = None,
                         api_key_id: int | None = None) -> None:
    """Keep that a console account (``user_id``) or an API key was shown these sharers' full phone
    numbers and emails; the caller commits. One executemany insert, no ORM objects kept: an export
    of 100,000 sharers records its views in chunks without growing the session."""
    if sharer_ids:
        session.execute(insert(ContactView), [{"workspace_id": workspace_id, "user_id": user_id,
                                               "api_key_id": api_key_id, "sharer_id": sid} for sid in sharer_ids])
